"""The native REST API v1 (`/api/v1/`), built with DRF and described by its OpenAPI schema."""
