"""The registry: the source of truth for publishers, repositories, versions, blobs and access."""
