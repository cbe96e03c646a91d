"""Local Databricks workspace emulator, for the tests, `make demo` and the benchmark: synthetic data in the REST
API's shapes, with the limits of a real workspace and faults to inject. `python -m emulator` runs it on its own.

settings.py  what a test sets: Limits (latency, rate limits, concurrency cap) and Faults (those, and faults)
server.py    lifecycle (start, stop, restart, the server's threads) and the request pipeline
tokens.py    auth: the valid token, minted tokens and the token API
gates.py     throttling storm, concurrency cap, rate limits, random faults, latency, malformed answers
routes.py    the API families: SCIM, DBFS, Workspace, export, Files, clusters (tokens in tokens.py)
stats.py     what the emulator saw, for tests to assert on
workspace.py the synthetic workspace and its ground truth; views.py and scim.py its REST shapes
"""

from .server import EmulatorServer
from .settings import Faults, Limits
from .workspace import Workspace, build_workspace

__all__ = ["EmulatorServer", "Faults", "Limits", "Workspace", "build_workspace"]
