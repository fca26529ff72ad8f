"""gunicorn's settings for the web process: `gunicorn -c deploy/gunicorn.conf.py config.wsgi`.

The reverse proxy (deploy/nginx/) faces the network, not gunicorn: it reads each request whole (headers with
a 10 s limit, bodies buffered) before it opens a connection here, so a slow or hostile client costs nginx a
few kilobytes and never a Python thread. gunicorn listens on loopback (or the compose network) only.

Should gunicorn ever face clients directly, these settings are still the safer ones: `gthread` workers wait
for a connection's first bytes in the worker's poller, not in a thread, and a worker has THREADS threads, so
a few clients dribbling their headers hold a few threads, not every worker (measured by
tests/test_production_recipe.py: four such clients, a till's request still answers within a second). With
sync workers each dribbling client held a whole worker, and four of them stalled the till for 11 s.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Processes: one per core (the till's requests are short and mostly wait on PostgreSQL, which threads cover).
# Threads: 8 per process. Each thread keeps its own database connection (CONN_MAX_AGE), so PostgreSQL sees
# WORKERS × THREADS connections from the web process (16 on a 2-core machine): keep that under max_connections
# together with the Celery worker's and the nightly job's (NIGHTLY_JOB_WORKERS).
workers = int(os.environ.get("GUNICORN_WORKERS", max(2, multiprocessing.cpu_count())))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", 8))

# A worker that stops answering its arbiter for 30 s is killed and replaced. The slowest pages (a manager's
# year report, a 100,000-card batch in the admin) stay well under it; longer work belongs to Celery.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
# On SIGTERM / SIGHUP a worker finishes what it is doing for up to 30 s: a deploy does not cut a sale short.
graceful_timeout = 30
# Kept-alive connections from the proxy (nginx keeps a pool to us): closed after 5 s idle.
keepalive = 5

# A fresh process every ~2,000 requests (spread so they do not all restart at once): bounds slow leaks.
max_requests = 2000
max_requests_jitter = 200

# No preload: `kill -HUP <master>` (systemd: `systemctl reload loyalty-web`) starts new workers on the new
# code and retires the old ones gracefully, which is how an upgrade is rolled without dropping requests.
preload_app = False

# The proxy is the only client; its X-Forwarded-Proto is believed from these addresses (Django reads the
# header itself through SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn's access log stays off: it would print query strings. config/request_log.py writes one JSON line
# per request instead (card numbers masked, never a PIN or token). Errors go to stderr (journald, docker logs).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Request line and headers: gunicorn's defaults (4094 bytes, 100 fields) are plenty for the till and the API.
