"""The scanner imports databricks-sdk's Config, not the client of every service: memory and start-up time."""

import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import sys
from dbx_inventory.api.config import Config
print(sorted(m for m in sys.modules if m.startswith("databricks.sdk.service.") and m != "databricks.sdk.service._internal"))
from databricks.sdk import WorkspaceClient
import databricks.sdk
print(WorkspaceClient.__module__, databricks.sdk.WorkspaceClient is WorkspaceClient, Config.__module__)
"""


def test_the_service_clients_are_imported_only_when_asked_for():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, check=True,
                         timeout=60).stdout.splitlines()
    # Only the module the SDK's OAuth code needs; not jobs, catalog, compute... (about 40 of them).
    assert out[0] == "['databricks.sdk.service.provisioning']"
    # Whoever asks for the SDK's clients later (Databricks Connect does) still gets them.
    assert out[1] == "databricks.sdk True databricks.sdk.config"
