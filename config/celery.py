"""The Celery app: queues `default` and `eval`, tasks discovered from the installed apps."""

import os

from celery import Celery

# A worker started by hand gets the production switches; `make run` passes its own settings down.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
