"""Air-gapped bundles: signed, streamable tar archives of published versions (export and import)."""
