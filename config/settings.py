"""Settings for the loyalty system.

One env reader (django-environ). Every value has a safe development default so
a fresh clone runs on SQLite with no services; production values come from the
environment and bad or missing production values fail at start-up.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Off unless asked: a deploy that forgets the variable must not serve tracebacks. bin/run and the tests ask.
DEBUG = env.bool("DJANGO_DEBUG", default=False)

# Both keys guard something an attacker can test offline: SECRET_KEY signs sessions and CSRF tokens, and a
# customer holds a card number and its PIN (an HMAC under CARD_PIN_SECRET), so a short key is found by trying.
SECRET_MIN_LENGTH = 32
_DEV_SECRET = "dev-only-insecure-secret-key-change-me"
_DEV_PIN_SECRET = "dev-only-card-pin-secret-change-me"
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET if DEBUG else "")
# PINs are an HMAC of the card number under this key: never stored, never
# derivable without it, and re-exportable for the print shop at any time.
# Rotating it changes every printed PIN, so it is separate from SECRET_KEY.
CARD_PIN_SECRET = env.str("CARD_PIN_SECRET", default=_DEV_PIN_SECRET if DEBUG else "")
if not DEBUG:
    for _name, _value in (("DJANGO_SECRET_KEY", SECRET_KEY), ("CARD_PIN_SECRET", CARD_PIN_SECRET)):
        if len(_value) < SECRET_MIN_LENGTH or _value in (_DEV_SECRET, _DEV_PIN_SECRET):
            _why = "is not set" if not _value else f"is {len(_value)} characters, fewer than {SECRET_MIN_LENGTH}"
            if _value in (_DEV_SECRET, _DEV_PIN_SECRET):
                _why = "is the published development value"
            raise ImproperlyConfigured(
                f"{_name} {_why}: with DJANGO_DEBUG off set it to a random value of at least "
                f"{SECRET_MIN_LENGTH} characters (python3 -c 'import secrets; print(secrets.token_urlsafe(48))')."
            )

# HTTPS (default on in production): secure cookies, HSTS, and a redirect to https:// for a request the proxy
# marks `X-Forwarded-Proto: http`. DJANGO_HTTPS=false is for a trial on plain HTTP only.
HTTPS = env.bool("DJANGO_HTTPS", default=not DEBUG)
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # /healthz is asked over plain HTTP by the load balancer, compose and systemd checks, from inside.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI served from our own static files, no CDN
    "django_celery_beat",
    "loyalty",
    "cards",
    "giftcards",
    "promotions",
    "pos",
    "mycard",
    "dashboard",
    "partners",
]

MIDDLEWARE = [
    "config.request_log.RequestLogMiddleware",  # first: times and logs everything below it, redirects included
    "config.middleware.LengthRequiredMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files from the app itself, before sessions and auth
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

# The pages load scripts, styles, fonts and images from this origin only (no CDN, no inline script; Chart.js,
# Swagger UI and the admin's files are served from our static files), checked page by page in a browser by
# tests/test_csp.py. Nothing may frame the pages, and forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server, not quoted into the SQL by psycopg in Python, and a statement a
    # connection has run DATABASE_PREPARE_THRESHOLD times is prepared: planned once per connection, not on
    # every request (Django turns psycopg's preparing off unless asked; planning the card scan's five-table
    # join cost more than running it). Measured in bench/README.md. Behind a pooler in transaction mode
    # (pgbouncer < 1.21), which cannot keep prepared statements, set DATABASE_PREPARE_THRESHOLD=0 (off)
    # and DATABASE_SERVER_SIDE_BINDING=false.
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["server_side_binding"] = env.bool("DATABASE_SERVER_SIDE_BINDING", default=True)
    _options["prepare_threshold"] = env.int("DATABASE_PREPARE_THRESHOLD", default=5) or None
    # A prepared statement still gets a new plan on every run while PostgreSQL estimates its generic plan
    # dearer than a custom one, which after an ANALYZE it did for the card scan: the till's statements look
    # rows up by key, so their generic plan is the plan. The manager's reports, whose ranges want custom
    # plans, switch back to "auto" for their transaction (dashboard.reports.common.report_session).
    _plan_cache_mode = env.str("DATABASE_PLAN_CACHE_MODE", default="force_generic_plan")
    if _plan_cache_mode not in ("auto", "force_generic_plan", "force_custom_plan"):
        raise ImproperlyConfigured(
            f"DATABASE_PLAN_CACHE_MODE must be a PostgreSQL plan_cache_mode, not {_plan_cache_mode!r}."
        )
    if _plan_cache_mode != "auto":  # PostgreSQL's own default needs no start-up option (which poolers may refuse)
        _options["options"] = f"{_options.get('options', '')} -c plan_cache_mode={_plan_cache_mode}".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A write lock wait instead of an instant "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
# A str, as makemessages compares it with the app locale dir it finds (a Path would be a second catalogue).
LOCALE_PATHS = [str(BASE_DIR / "mycard" / "locale"), str(BASE_DIR / "dashboard" / "locale")]
# The API's refusals in German (core is no app, so its catalogue is named here): config/api_errors.py.
LOCALE_PATHS += [str(BASE_DIR / "core" / "locale")]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.path("DJANGO_STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"] if (BASE_DIR / "static").exists() else []
# WhiteNoise serves STATIC_ROOT from the application (no separate web server needed). In production the
# names carry a content hash (cashier.3f2a9c1b.js) and are served gzip/brotli-compressed with a ten-year
# `Cache-Control: max-age=315360000, immutable`; a new release has new names, so no till keeps an old script.
# The hashed names need `collectstatic`'s manifest, which bin/run and the tests do not build: with DEBUG on
# the files come straight from the app folders (WHITENOISE_USE_FINDERS) under their own names.
STATIC_MANIFEST = env.bool("DJANGO_STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

LOGIN_URL = "/admin/login/"

# --- Redis: cache and Celery. Without REDIS_URL everything runs in-process.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# The customer page's sign-in limits (cards/signin_guard.py) count per client address in this cache.
# Behind reverse proxies every request comes from the last proxy: name the META key of the header the
# proxies write the client's address into (e.g. HTTP_X_FORWARDED_FOR or HTTP_X_REAL_IP), and how many
# proxies of ours stand in front of the application (each appends one address; default 1), or all
# customers share one limit. core/client_address.py reads them and never fails on what the header holds.
CLIENT_ADDRESS_META_KEY = env.str("RATELIMIT_IP_META_KEY", default="") or None
CLIENT_ADDRESS_TRUSTED_PROXIES = env.int("RATELIMIT_TRUSTED_PROXIES", default=1)
if CLIENT_ADDRESS_TRUSTED_PROXIES < 1:
    raise ImproperlyConfigured("RATELIMIT_TRUSTED_PROXIES counts the proxies in front of the application: 1 or more.")
# django-ratelimit's key="ip" asks this function (a dotted path) for the client's address.
RATELIMIT_IP_META_KEY = "core.client_address.client_address"
# Each run of 5 wrong PINs on a card number locks its web sign-in for the next of these steps (the last one
# repeats); a browser the customer signed in from before keeps its own ladder for the card, for this many days.
SIGNIN_LOCK_MINUTES = env.list("SIGNIN_LOCK_MINUTES", cast=int, default=[15, 60, 24 * 60])
if not SIGNIN_LOCK_MINUTES or min(SIGNIN_LOCK_MINUTES) < 1:
    raise ImproperlyConfigured(f"SIGNIN_LOCK_MINUTES must be whole minutes, 1 or more, not {SIGNIN_LOCK_MINUTES!r}.")
SIGNIN_TRUSTED_DEVICE_DAYS = env.int("SIGNIN_TRUSTED_DEVICE_DAYS", default=365)

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
# Zero-setup default: with no broker, tasks run at once in the caller.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"


def _cron(line: str) -> crontab:
    """'m h dom mon dow', as in a crontab file; a wrong line stops the start-up."""
    try:
        minute, hour, day_of_month, month_of_year, day_of_week = line.split()
        return crontab(minute, hour, day_of_week, day_of_month, month_of_year)
    except ValueError as error:
        raise ImproperlyConfigured(f"NIGHTLY_JOB_CRON must be 'm h dom mon dow', not {line!r}: {error}") from None


# The nightly sweep's connections working at once on disjoint chunks of accounts (PostgreSQL only).
NIGHTLY_JOB_WORKERS = env.int("NIGHTLY_JOB_WORKERS", default=2)
# Seeded into django-celery-beat's tables at beat start-up; managers can retime it in the admin.
# NIGHTLY_JOB_EVERY_SECONDS (tests, demos) replaces the nightly time by a short interval.
_NIGHTLY_EVERY = env.int("NIGHTLY_JOB_EVERY_SECONDS", default=0)
_NIGHTLY = _NIGHTLY_EVERY or _cron(env.str("NIGHTLY_JOB_CRON", default="0 3 * * *"))
CELERY_BEAT_SCHEDULE = {
    "nightly-expiry": {"task": "loyalty.nightly_expiry", "schedule": _NIGHTLY},
    "nightly-idempotency-purge": {"task": "pos.idempotency_purge", "schedule": _NIGHTLY},
    "nightly-gift-card-expiry": {"task": "giftcards.expire", "schedule": _NIGHTLY},
    # Business customers and partners: the month just ended (and the quarter or year it ends), on the 1st.
    "partners-settlement": {"task": "partners.settle_last_month", "schedule": _cron("30 4 1 * *")},
    "partners-on-account": {"task": "partners.book_receipts_on_account", "schedule": _NIGHTLY},
}
# A till retries a checkout or refund within minutes; after this many days its Idempotency-Key is
# forgotten (the record, with the whole stored answer, is deleted by the nightly purge).
IDEMPOTENCY_RETENTION_DAYS = env.int("IDEMPOTENCY_RETENTION_DAYS", default=30)
if IDEMPOTENCY_RETENTION_DAYS < 1:
    raise ImproperlyConfigured("IDEMPOTENCY_RETENTION_DAYS must be 1 or more.")

# --- Gift cards (giftcards/): the shortest validity a batch may have (many countries' law: 3 years), and the
# currency their balances are in (one per chain).
GIFT_CARD_MIN_VALIDITY_YEARS = env.int("GIFT_CARD_MIN_VALIDITY_YEARS", default=3)
GIFT_CARD_CURRENCY = env.str("GIFT_CARD_CURRENCY", default="EUR")

# --- REST API
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api_errors.api_exception_handler",
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["config.parsers.BoundedJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
}
# Per terminal (and per cashier on the cashier screen): a burst of API_THROTTLE_BURST requests, refilled at
# API_THROTTLE_PER_SECOND; beyond that 429 `throttled` (pos/throttling.py, counted in the shared cache).
API_THROTTLE_BURST = env.int("API_THROTTLE_BURST", default=100)
API_THROTTLE_PER_SECOND = env.float("API_THROTTLE_PER_SECOND", default=2.0)
if API_THROTTLE_BURST < 1 or API_THROTTLE_PER_SECOND <= 0:
    raise ImproperlyConfigured("API_THROTTLE_BURST must be 1 or more and API_THROTTLE_PER_SECOND above 0.")
SPECTACULAR_SETTINGS = {
    "TITLE": "Loyalty POS API",
    "DESCRIPTION": "Discount cards, points and checkout for external POS systems. See shared/docs/api.md.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Cards
# The till's customer search before a card replacement (phone, then the birthday the customer tells):
# per terminal or cashier, in the shared cache. DRF's form: "30/hour", "5/min".
POS_CUSTOMER_SEARCH_RATE = env.str("POS_CUSTOMER_SEARCH_RATE", default="30/hour")
CARDS_MAX_BATCH = 1_000_000

# --- The till (issue 17)
# May a till find and refund a receipt sold in another store of the chain? Off: the receipt's store says
# where it was sold and the customer goes there.
POS_CROSS_STORE_REFUNDS = env.bool("POS_CROSS_STORE_REFUNDS", default=False)
# The category a typed line (F4, goods without a barcode) starts with; the cashier may change it.
POS_MANUAL_LINE_CATEGORY = env.str("POS_MANUAL_LINE_CATEGORY", default="")
# Larger batches belong to `cards_issue`: a web request should not run for minutes.
CARDS_MAX_BATCH_ADMIN = 100_000

# One JSON line per request on stderr from config/request_log.py (method, path with card numbers masked,
# status, duration, terminal/cashier); never a query string, a header or a body, so no PIN or token.
# gunicorn's own access log stays off (it would print query strings).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "requests": {"class": "logging.StreamHandler", "formatter": "line"},
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="WARNING")},
    "loggers": {
        "loyalty.requests": {
            "handlers": ["requests"],
            "level": env.str("REQUEST_LOG_LEVEL", default="INFO"),
            "propagate": False,
        },
        # Its 4xx/5xx warnings repeat what the request line says (the 500's traceback still logs).
        "django.request": {"level": "ERROR"},
    },
}

# --- E-mail, and the customer's reminder e-mails (mycard/reminders.py)
# Either EMAIL_URL (smtp://user:pass@host:25, smtp+tls://…:587, smtp+ssl://…:465, consolemail://) or the
# EMAIL_HOST / EMAIL_PORT / EMAIL_HOST_USER / EMAIL_HOST_PASSWORD / EMAIL_USE_TLS / EMAIL_USE_SSL variables.
# Neither: e-mails are printed on the console (development), never sent.
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
elif env.str("EMAIL_HOST", default=""):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
    EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
if globals().get("EMAIL_USE_TLS") and globals().get("EMAIL_USE_SSL"):
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL exclude each other: STARTTLS (587) or TLS (465).")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)  # seconds: a hung mail server must not hold a worker
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Loyalty card <loyalty@localhost>")
# Links in e-mails (the unsubscribe link) need the site's address: scheme and host, no path.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# Points about to burn: one reminder this many days before (the daily run at REMINDER_BURN_HOUR, chain time).
REMINDER_BURN_DAYS = env.int("REMINDER_BURN_DAYS", default=14)
REMINDER_BURN_HOUR = env.int("REMINDER_BURN_HOUR", default=9)
if not 1 <= REMINDER_BURN_DAYS <= 365 or not 0 <= REMINDER_BURN_HOUR <= 23:
    raise ImproperlyConfigured("REMINDER_BURN_DAYS must be 1..365 and REMINDER_BURN_HOUR 0..23.")
CELERY_BEAT_SCHEDULE["mycard-burn-reminders"] = {
    "task": "mycard.burn_reminders",
    "schedule": crontab(minute=0, hour=REMINDER_BURN_HOUR),
}

# --- Manager's dashboard (issue 17)
# The chain's currency, shown with every amount (ISO 4217 code).
CURRENCY = env.str("CURRENCY", default="EUR")
# Phones are stored in E.164; a number typed without a country code is read as this region's (ISO 3166).
PHONE_DEFAULT_REGION = env.str("PHONE_DEFAULT_REGION", default="DE")
# Printed on the back of cards: where a customer signs in with the number and PIN.
CARD_SIGNIN_ADDRESS = env.str("CARD_SIGNIN_ADDRESS", default="loyalty.example.com/my/")
CARD_BACK_TERMS = env.str(
    "CARD_BACK_TERMS",
    default="This card gives the discount and points of the chain's loyalty programme in all its stores. It "
    "stays the chain's property and cannot be exchanged for cash. Lost or stolen? Tell any store: the card is "
    "blocked and its balance moves to a new one. Full terms at the sign-in address.",
)

# Business customers and partners (partners/): a statement paid out as a discount is a personal coupon valid
# this many days.
PARTNERS_DISCOUNT_DAYS = env.int("PARTNERS_DISCOUNT_DAYS", default=90)
if not 1 <= PARTNERS_DISCOUNT_DAYS <= 3650:
    raise ImproperlyConfigured("PARTNERS_DISCOUNT_DAYS must be 1..3650.")
