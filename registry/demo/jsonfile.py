"""One way to write JSON, so that a rebuild with the same seed gives byte-identical files."""

from __future__ import annotations

import json
from pathlib import Path


def write_json(path: Path, data: object) -> None:
    """Write `data` with sorted keys, two-space indent and a final newline, as transformers does."""
    path.write_text(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
