"""A web worker pays its one-time costs while it starts (config/wsgi.py), not in the first
requests it serves: importing the WSGI module loads the URLconf, the card parser and the S3 client."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys
import config.wsgi
from registry.storage import get_store
loaded = [name in sys.modules for name in ("config.urls", "huggingface_hub.repocard")]
print(*loaded, get_store.cache_info().currsize)
"""


def test_importing_the_wsgi_module_warms_the_worker():
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test")
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split()[-3:] == ["True", "True", "1"], done.stdout + done.stderr
