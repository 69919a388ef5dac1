"""gunicorn settings for cookieconsent, shipped with the package.

    gunicorn -c python:cookieconsent.gunicorn_conf cookieconsent.wsgi:app    # installed
    gunicorn cookieconsent.wsgi:app    # in a checkout: ./gunicorn.conf.py imports this

Worker class and count were chosen by measurement on a 2-core machine (docs/deployment.md has
the figures). The environment overrides them without editing a file: ``WEB_CONCURRENCY``
(workers), ``GUNICORN_THREADS`` (threads per worker), ``COOKIECONSENT_BIND``; gunicorn's own
command-line options and ``GUNICORN_CMD_ARGS`` override everything here.
"""

from __future__ import annotations

import os

# Behind the reverse proxy on the same host; set COOKIECONSENT_BIND=0.0.0.0:8000 in a container.
bind = os.environ.get("COOKIECONSENT_BIND", "127.0.0.1:8000")

# Measured: gthread, one worker per core with 4 threads each (see docs/deployment.md).
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
threads = int(os.environ.get("GUNICORN_THREADS") or 4)

# A request that takes longer than this is stuck (every endpoint answers in milliseconds); the
# worker is replaced. Workers get as long to finish their requests on a reload or stop.
timeout = 30
graceful_timeout = 30
# Behind a proxy that keeps connections to the service open (nginx's upstream keepalive).
keepalive = 5
# Replace each worker now and then, staggered, so that no slow leak ever matters; rarely, since
# a new worker costs a second or two of CPU (imports, the app): at 10,000 a worker serving 3,000
# lookups a second was replaced every few seconds, a third of its time (bench/lookup.py).
# GUNICORN_MAX_REQUESTS overrides it (0: never).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS") or 1_000_000)
max_requests_jitter = max_requests // 10

# Heartbeat files in memory, not on a disk that may be slow or read-only (containers).
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# Logs to stdout/stderr, for journald or the container runtime.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
# The proxy's address is what gunicorn sees; the client's comes from X-Forwarded-For through
# COOKIECONSENT_TRUST_PROXY (werkzeug's ProxyFix), so gunicorn itself trusts no forwarded header.
forwarded_allow_ips = ""
