"""Local Databricks workspace emulator for tests: synthetic data, REST shapes, faults and limits."""

from .server import EmulatorServer, Faults
from .workspace import Workspace, build_workspace

__all__ = ["EmulatorServer", "Faults", "Workspace", "build_workspace"]
