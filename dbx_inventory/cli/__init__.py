"""The command lines and the notebook entry point: they build typed options and call the pipeline."""
