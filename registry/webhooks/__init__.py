"""Signed webhooks: organisations' HTTPS endpoints told of registry events by a Celery worker."""
