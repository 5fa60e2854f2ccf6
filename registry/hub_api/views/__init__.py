"""Hub-compatible views, one module per kind of resource."""
