"""Databricks Connect through the real client, against a local Spark Connect server behind a TLS front door."""
