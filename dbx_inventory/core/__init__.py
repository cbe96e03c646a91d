"""The per-user model: entries, tallies, results, locations. Pure: no I/O, imports nothing of the package."""
