"""Who a run scans: users files, the workspace's identities and homes, and names resolved to them."""
