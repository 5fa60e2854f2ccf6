"""The Celery app: queues `default` and `eval`, tasks discovered from the installed apps."""

import os
from pathlib import Path

from celery import Celery

# A worker started by hand gets the production switches; `make run` passes its own settings down.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _create_filesystem_broker_folders(sender: Celery, **_: object) -> None:
    # kombu's filesystem transport fails on a missing folder: a fresh data dir must work for the
    # worker and for any process that only sends (publish_model enqueues evaluation).
    if sender.conf.broker_url == "filesystem://":
        for option in ("data_folder_in", "data_folder_out", "control_folder"):
            folder = sender.conf.broker_transport_options.get(option)
            if folder:
                Path(folder).mkdir(parents=True, exist_ok=True)


# Task durations and the workers' own /metrics (CELERY_METRICS_PORT) hang on Celery's signals.
from config import metrics as _metrics  # noqa: E402, F401
