"""The one-command run: SQLite, embedded SeaweedFS, filesystem broker, debug pages."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
WEBHOOK_ALLOW_LOOPBACK_HTTP = env_bool("WEBHOOK_ALLOW_LOOPBACK_HTTP", True)  # receivers on this machine
