"""Per-user file inventory of a Databricks workspace (DBFS and Workspace homes)."""

__version__ = "2.0.0"
