"""Logging: plain text for people (the default) or one JSON object per line for log collectors
(LOG_FORMAT=json), the same for Django, Celery and gunicorn (deploy/gunicorn.conf.py)."""

from __future__ import annotations

JSON_FORMAT = "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s"
JSON_RENAME = {"asctime": "time", "levelname": "level", "name": "logger"}


def formatter(log_format: str) -> dict:
    if log_format == "json":
        return {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": JSON_FORMAT,
            "rename_fields": JSON_RENAME,
            "datefmt": "%Y-%m-%dT%H:%M:%S%z",
        }
    if log_format == "text":
        return {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    raise ValueError(f"LOG_FORMAT must be 'text' or 'json', not {log_format!r}")


def logging_config(*, level: str = "INFO", log_format: str = "text") -> dict:
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter(log_format)},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "default"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"botocore": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
    }
