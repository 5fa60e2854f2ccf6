"""The human-facing web: catalog, model pages, publisher portal."""
