"""What the run produces: the inventory formats, the per-file list, text for people, progress and logs."""
