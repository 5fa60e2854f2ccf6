"""`ingest.load_pipeline_in_background`: the signer and the card parser, imported once per process
in a background thread when an upload starts (see config/wsgi.py for what every worker loads)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys, threading
import django
django.setup()
from registry.services import ingest
before = any(name in sys.modules for name in ingest.PIPELINE_MODULES)
ingest.load_pipeline_in_background()
for thread in threading.enumerate():
    if thread.name == "load-pipeline":
        thread.join()
after = all(name in sys.modules for name in ingest.PIPELINE_MODULES)
ingest.load_pipeline_in_background()
again = any(thread.name == "load-pipeline" for thread in threading.enumerate())
print(before, after, again)
"""


def test_the_pipeline_is_imported_once_in_the_background():
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="config.settings.test")
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    # not loaded by Django's start-up; loaded by the call; a second call starts no thread
    assert done.stdout.split()[-3:] == ["False", "True", "False"], done.stdout + done.stderr
