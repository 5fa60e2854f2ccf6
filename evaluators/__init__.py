"""Evaluator plugins, their Celery tasks (queue `eval`), results and badges."""
