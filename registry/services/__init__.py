"""Business rules: typed, keyword-only functions that own their transactions."""
