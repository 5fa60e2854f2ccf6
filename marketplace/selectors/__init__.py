"""Page-specific reads of the marketplace; shared read queries live in `registry.selectors`."""
