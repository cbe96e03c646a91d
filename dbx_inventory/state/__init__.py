"""What survives a crash: the checkpoint and the rules for resuming it."""
