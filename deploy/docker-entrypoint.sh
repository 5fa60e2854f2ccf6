#!/bin/sh
# Image entry point: the first argument names the role, the rest is passed on.
#   web           gunicorn (deploy/gunicorn.conf.py); DJANGO_MIGRATE_ON_START=true migrates first
#   worker        Celery worker for the `default` queue (ingest: verify, sign, publish)
#   eval-worker   Celery worker for the `eval` queue (evaluation; heavy, usually fewer slots)
#   beat          Celery beat (periodic tasks)
#   migrate       apply database migrations, then exit
#   manage ARGS   any manage.py command, e.g. `manage createsuperuser`
#   anything else is executed as given (e.g. `sh`)
# Every role execs its process, so it is PID 1 and receives the runtime's SIGTERM directly.
set -eu

role="${1:-web}"
if [ "$#" -gt 0 ]; then shift; fi

# Prometheus multiprocess mode (config/metrics.py): the folder starts empty, or the counters of
# processes from before a restart would be added in.
if [ -n "${PROMETHEUS_MULTIPROC_DIR:-}" ]; then
  mkdir -p "$PROMETHEUS_MULTIPROC_DIR"
  find "$PROMETHEUS_MULTIPROC_DIR" -mindepth 1 -delete  # the contents: it may be a mount point
fi

case "$role" in
  web)
    # Off by default: with several web replicas they would race; compose runs `migrate` once instead.
    if [ "${DJANGO_MIGRATE_ON_START:-false}" = "true" ]; then
      python manage.py migrate --noinput
    fi
    exec gunicorn -c /app/deploy/gunicorn.conf.py --no-control-socket config.wsgi:application "$@"
    ;;
  worker)
    exec celery -A config worker --queues=default --hostname="default@%h" \
      --concurrency="${CELERY_CONCURRENCY:-2}" --loglevel="${LOG_LEVEL:-INFO}" "$@"
    ;;
  eval-worker)
    # One evaluation at a time by default: each loads a model, memory is the limit, not CPU.
    exec celery -A config worker --queues=eval --hostname="eval@%h" \
      --concurrency="${EVAL_CONCURRENCY:-1}" --loglevel="${LOG_LEVEL:-INFO}" "$@"
    ;;
  beat)
    # The schedule state file goes to the writable data dir (/app is read-only to this user).
    exec celery -A config beat --loglevel="${LOG_LEVEL:-INFO}" \
      --schedule="${REGISTRY_DATA_DIR:-/var/lib/registry}/celerybeat-schedule" "$@"
    ;;
  migrate)
    exec python manage.py migrate --noinput "$@"
    ;;
  manage)
    exec python manage.py "$@"
    ;;
  *)
    exec "$role" "$@"
    ;;
esac
