"""Local Databricks workspace emulator, for the tests, `make demo` and the benchmark: synthetic data in the REST
API's shapes, with the limits of a real workspace and faults to inject. `python -m emulator` runs it on its own.

settings.py  what a test sets: Limits (latency, rate limits, concurrency cap) and Faults (those, and faults)
host.py      lifecycle of every emulated host (start, stop, restart, the server's threads), sending an answer
server.py    a workspace's request pipeline
tokens.py    auth: the valid token, minted tokens and the token API
gates.py     throttling storm, concurrency cap, rate limits, random faults, latency, malformed answers
routes.py    the API families: SCIM, DBFS, Workspace, export, clusters (tokens in tokens.py; Files and Unity
             Catalog in volume_routes.py)
stats.py     what the emulator saw, for tests to assert on
workspace.py the synthetic workspace and its ground truth; views.py and scim.py its REST shapes
metastore.py Unity Catalog: catalogs, schemas, volumes, their owners and files; places.py per-user folders of a
             company's naming (a shared volume, /Shared, dbfs:/tmp); volume_routes.py the Files API and Unity
             Catalog listings; paging.py their opaque page tokens

An account of several workspaces (`python -m emulator --workspaces N`):
identity.py  a workspace's id, name and deployment host
account.py   the synthetic account: its workspaces, people, service principals, whose leftover home is whose
oauth.py     OAuth M2M as databricks-sdk performs it, for the account host and each workspace
account_server.py  the account host: workspace listing, account SCIM, its OIDC endpoints
frontdoor.py the TLS front door: an HTTPS proxy that answers for *.cloud.databricks.com with a test CA
fleet.py     all of them started and stopped together
"""

from .fleet import Fleet
from .identity import WorkspaceIdentity
from .server import EmulatorServer
from .settings import Faults, Limits
from .workspace import Workspace, build_workspace

__all__ = ["EmulatorServer", "Faults", "Fleet", "Limits", "Workspace", "WorkspaceIdentity", "build_workspace"]
