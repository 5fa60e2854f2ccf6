"""Settings of the processes the fault tests start and kill (a Celery worker, gunicorn): the test
settings, the slow evaluator, and no follow-up tasks sent after a publish."""

from config.settings.test import *  # noqa: F403

EVALUATOR_PLUGINS = ["tests.faults.slow_evaluator:SlowEvaluator"]
REGISTRY_POST_PUBLISH_TASKS: list[str] = []
