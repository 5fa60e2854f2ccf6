"""gunicorn settings for the web role: `gunicorn -c deploy/gunicorn.conf.py config.wsgi:application`.

Every value can be overridden from the environment (GUNICORN_*), so one image fits every host.

Worker class: `sync`, chosen by measurement (benchmarks/gunicorn_workers.py, 2-core machine,
2 sync workers vs 2 gthread workers x 4 threads, 8 connections, median of 3 x 10 s, DEBUG off,
PostgreSQL, empty catalog):

    endpoint       metric      sync   gthread   gthread/sync
    /healthz       p95 ms       2.2       4.1       1.91
    /healthz       req/s      4,417     4,483       1.01
    / (home page)  p50 ms      15.7      17.3       1.10
    / (home page)  p95 ms      18.3      32.3       1.77
    / (home page)  req/s        499       422       0.85
    / (home page)  CPU ms/req  2.95      3.37       1.14

With `Connection: close` (a proxy without upstream keep-alive) the home page was 523 vs 412 req/s
and p95 17.5 vs 32.6 ms. Threads share one GIL per process: on short, CPU-bound requests they add
switching and queueing, not throughput, and they worsen the tail. With one core kept busy by
another process (a worker hashing an upload) the two were even (page p95 37 vs 39 ms); only with
both cores saturated did gthread serve more (it takes CPU from the neighbours) at twice the p99.
Our requests are short by design: downloads are 302 redirects to presigned URLs and uploads go
to S3 directly, so no request carries the bytes of a model.

Switch to GUNICORN_WORKER_CLASS=gthread when either stops being true:
- no buffering reverse proxy (nginx) in front: a slow client then holds a sync worker for the
  whole request, a handful of them hold all of them;
- Django streams large responses (the proxy download fallback): sync workers are killed at
  `timeout` mid-stream (storage.md section 5), gthread workers are not.
"""

import os
from math import ceil


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def _available_cpus() -> int:
    """CPUs this container may use: os.cpu_count() reports the host's, ignoring --cpus and cpusets."""
    count = len(os.sched_getaffinity(0))
    try:
        with open("/sys/fs/cgroup/cpu.max") as limits:  # cgroup v2; "max 100000" when unlimited
            quota, period = limits.read().split()
        if quota != "max":
            count = min(count, max(1, ceil(int(quota) / int(period))))
    except (OSError, ValueError):
        pass
    return count


# Inside a container the published port is the only way in, so listen on every interface.
bind = [os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_env_int('PORT', 8000)}"]
worker_class = os.environ.get("GUNICORN_WORKER_CLASS") or "sync"
# 2 x CPUs: a request waits on PostgreSQL part of the time, so one process per core leaves CPU idle.
workers = _env_int("GUNICORN_WORKERS", 2 * _available_cpus())
# Only for gthread: gunicorn silently turns a `sync` configuration with threads > 1 into gthread.
threads = _env_int("GUNICORN_THREADS", 4 if worker_class == "gthread" else 1)

# A sync worker that is silent this long is killed and its request fails. Requests are short by
# design (see above); 60 s is far above any of them and still recycles a stuck worker in a minute.
timeout = _env_int("GUNICORN_TIMEOUT", 60)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 30)  # in-flight requests on SIGTERM
keepalive = _env_int("GUNICORN_KEEPALIVE", 5)  # gthread only; above typical proxy idle reuse
# Recycle workers now and then so a slow leak (in our code or a dependency) cannot grow forever;
# the jitter keeps all workers from restarting at the same moment.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = _env_int("GUNICORN_MAX_REQUESTS_JITTER", 500)

# Logs to stdout/stderr: the container runtime collects them.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms "%(a)s"'

# The heartbeat file lives in memory: on an overlay or network filesystem its writes can block
# and get healthy workers killed.
worker_tmp_dir = "/dev/shm"  # noqa: S108 - a per-worker file gunicorn creates securely
# gunicorn 27 opens a control socket in $HOME by default; nothing here uses it.
control_socket_disable = True
# Trust X-Forwarded-* only from the reverse proxy (set to its address, or "*" on a private network).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# LOG_FORMAT=json: gunicorn's error and access logs as JSON lines too, like Django's (config/logs.py).
if os.environ.get("LOG_FORMAT") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "json": {
                "()": "pythonjsonlogger.json.JsonFormatter",
                "format": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
                "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                "datefmt": "%Y-%m-%dT%H:%M:%S%z",
            }
        },
        "handlers": {
            "console": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"}
        },
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": loglevel.upper(), "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }


def child_exit(server, worker):
    """With PROMETHEUS_MULTIPROC_DIR, drop a dead worker's live gauges from /metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
