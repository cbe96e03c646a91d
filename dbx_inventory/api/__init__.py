"""Talking to the workspace: configuration and auth, the REST client, its retry policy, pacers and clock."""
