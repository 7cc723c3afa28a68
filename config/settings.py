"""Torget's settings: one module, switched by environment variables.

Every variable is optional; the defaults give the embedded deployment of `make run` (SQLite in
`var/`, database-backed task queue, local-memory cache, DEBUG off). The variables:

TORGET_DEBUG              yes/no. Django's debug mode. Default no. Also relaxes the staff
                          two-factor requirement, for development only.
TORGET_SECRET_KEY         Django's secret key. Default: generated once into `var/secret_key`.
TORGET_VAR_DIR            Folder for the SQLite database, media and the secret key. Default `var/`.
TORGET_DATABASE_URL       Database, as a URL (`postgres://user@host:5432/name`,
                          `sqlite:///path`). Default: SQLite at `var/torget.sqlite3`.
TORGET_ALLOWED_HOSTS      Comma-separated host names Django accepts. Default `*`: the
                          municipality middleware answers unknown hosts itself with a clear page.
TORGET_HTTPS              yes/no. Served over HTTPS behind a proxy that sets X-Forwarded-Proto:
                          secure cookies, HSTS and redirect to HTTPS. Default no. The production
                          profile is TORGET_HTTPS=yes with TORGET_DEBUG=no.
TORGET_SITE_PORT          Port in links sent by e-mail (e.g. 8000 under `make run`). Default:
                          none, the scheme's own port.
TORGET_HSTS_SECONDS       HSTS max-age when TORGET_HTTPS is on. Default 31536000 (one year).
TORGET_HSTS_PRELOAD       yes/no: allow the host on browsers' HSTS preload list. Default yes.
TORGET_EMAIL_HOST         SMTP server for outgoing e-mail. Default: none, e-mail is written to
                          the log (console) instead.
TORGET_EMAIL_PORT         SMTP port. Default 25.
TORGET_EMAIL_USER         SMTP user name. Default none.
TORGET_EMAIL_PASSWORD     SMTP password. Default none.
TORGET_EMAIL_TLS          yes/no: STARTTLS to the SMTP server. Default no.
TORGET_EMAIL_FROM         Sender address. Default `Torget <noreply@torget.localhost>`.
TORGET_ALERT_EMAIL_PROVIDER  Who carries alert e-mail: `smtp` or `outbox` (kept in the database and
                          shown to staff at /ansatt/varsler/utboks/). Default outbox.
TORGET_ALERT_SMS_PROVIDER Who carries alert SMS: `outbox`, `smpp` or `http`. Default outbox.
TORGET_ALERT_SMTP_HOST    SMTP server for alert e-mail. Default: TORGET_EMAIL_HOST, else 127.0.0.1.
TORGET_ALERT_SMTP_PORT    Its port. Default: TORGET_EMAIL_PORT (25).
TORGET_ALERT_SMTP_USER    User name. Default: TORGET_EMAIL_USER.
TORGET_ALERT_SMTP_PASSWORD  Password. Default: TORGET_EMAIL_PASSWORD.
TORGET_ALERT_SMTP_TLS     yes/no: STARTTLS. Default: TORGET_EMAIL_TLS.
TORGET_ALERT_SMTP_TIMEOUT Seconds to wait for the server's reply. Default 20.
TORGET_ALERT_SMTP_RATE    Alert e-mails per second at most (a token bucket); 0 means no limit.
                          Default 100.
TORGET_ALERT_REPLY_TO     Reply-To address of alert e-mails; answers to it reach the inbox when the
                          mail server pipes them to `manage.py receive_email` or posts them to
                          /varsler/epost/innkommende/. Default none (answers go to the sender).
TORGET_EMAIL_INBOUND_SECRET  Shared secret a mail gateway sends (header X-Torget-Secret) when it
                          posts an incoming e-mail to /varsler/epost/innkommende/. Default none:
                          the endpoint is off.
TORGET_WORKER_ID          The delivery worker's identity: its journal is
                          `var/delivery/<id>.journal`. Keep it stable across restarts of the same
                          worker. Default: the host name + "-1".
TORGET_SMPP_HOST          SMPP 3.4 SMSC for alert SMS (TORGET_ALERT_SMS_PROVIDER=smpp). Default
                          127.0.0.1.
TORGET_SMPP_PORT          Its port. Default 2775.
TORGET_SMPP_SYSTEM_ID     The system id we bind as (transceiver). Default none.
TORGET_SMPP_PASSWORD      Its password. Default none.
TORGET_SMPP_SYSTEM_TYPE   The system type sent in the bind. Default none.
TORGET_SMPP_SOURCE_ADDR   Sender of alert SMS: a name of at most 11 letters or a number.
                          Default: TORGET_SMS_SENDER.
TORGET_SMPP_SOURCE_TON    TON of the sender. Default: 5 (alphanumeric) for a name, 1 for a number.
TORGET_SMPP_SOURCE_NPI    NPI of the sender. Default: 0 for a name, 1 for a number.
TORGET_SMPP_WINDOW        How many submit_sm may wait for their answer at once. Default 10.
TORGET_SMPP_RATE          SMS parts per second at most; 0 means no limit. Default 50.
TORGET_SMPP_TIMEOUT       Seconds to wait for the SMSC's answer. Default 10.
TORGET_SMPP_BATCH         How many SMS the delivery worker hands the SMSC in one batch (the window
                          drains between batches). Default 500.
TORGET_SMS_SENDER         Sender name of alert SMS. Default `Torget`.
TORGET_SMS_HTTP_URL       The HTTP JSON SMS provider's endpoint (TORGET_ALERT_SMS_PROVIDER=http):
                          POST {"to", "from", "text", "reference"}. Default none.
TORGET_SMS_HTTP_TOKEN     Bearer token sent to it. Default none.
TORGET_SMS_HTTP_TIMEOUT   Seconds to wait for its answer. Default 10.
TORGET_SMS_HTTP_RATE      SMS per second at most; 0 means no limit. Default 20.
TORGET_SMS_WEBHOOK_SECRET The shared secret the SMS provider sends in the X-Torget-Secret header
                          of its callbacks (receipts to /varsler/sms/kvittering/, incoming SMS to
                          /varsler/sms/innkommende/). Default none: the callbacks are refused.
TORGET_TASKS_IMMEDIATE    yes/no: run background tasks in the request instead of the queue.
                          Default no. Tests of task effects turn it on.
TORGET_CACHE_SECONDS      How long anonymous pages are cached. Default 10; 0 turns it off.
TORGET_WORKER_HEARTBEAT_SECONDS  Seconds between the workers' heartbeats. Default 10. A worker
                          silent for three is dead: /healthz says so, and the tasks it was
                          running are queued again.
TORGET_LOG_LEVEL          Log level of Torget's own loggers. Default INFO.
TORGET_LOG_FORMAT         `json` (default) or `text`.
TORGET_MAX_UPLOAD_MB      Largest request body in MB. Default 10.
TORGET_ALERT_IMPORT_MAX_MB Largest CSV file staff may import (addresses, contacts), in MB.
                          Default 50.
TORGET_MAP_TILES_URL      Tile URL template ({z}/{x}/{y}) of the background map on alert pages.
                          Default Kartverket's open cache (topo, web mercator); `none`: no
                          background map, the area alone (as in the tests).
TORGET_MAP_ATTRIBUTION    Credit shown on the map for its tiles. Default `© Kartverket`.
"""

from __future__ import annotations

import importlib.util
import socket
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from config.env import env_bool, env_int, env_list, env_str, secret_key

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)
SECRET_KEY = secret_key(VAR_DIR)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["*"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "torget.core",
    "torget.organisation",
    "torget.accounts",
    "torget.conversations",
    "torget.insights",
    "torget.pages",
    "torget.alerts",
    "torget.services",
    "torget.cases",
    "torget.participation",
    "torget.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "torget.organisation.middleware.MunicipalityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "torget.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "torget.accounts.middleware.StaffTwoFactorMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "django.template.context_processors.i18n",
                "torget.core.context_processors.shell",
                "torget.alerts.context_processors.alert_banner",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        # No persistent connections: under ASGI each request runs in a thread of its own, so a
        # kept connection would only leak (Django's documentation says as much).
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'torget.sqlite3'}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers go on while one writer writes; IMMEDIATE takes the write lock at the start
    # of a transaction so that two writers queue instead of failing with "database is locked".
    # Torget's backend makes the threads of one process queue for that lock first come, first
    # served (SQLite's busy handler alone lets some wait until the timeout; see its docstring).
    DATABASES["default"]["ENGINE"] = "torget.core.db.sqlite3"
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "accounts:my-page"
ACCOUNT_ADAPTER = "torget.accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_SESSION_REMEMBER = None
# Per-IP and per-account limits on log-in, sign-up and codes (allauth counts in the cache).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "request_login_code": "20/m/ip,3/m/key",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Torget"

# --- languages ------------------------------------------------------------------------------
LANGUAGE_CODE = "nb"
LANGUAGES = [("nb", "Norsk bokmål"), ("nn", "Norsk nynorsk"), ("en", "English")]
LANGUAGE_COOKIE_NAME = "torget_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates and times by name per language, English the Norwegian way (torget/core/formats).
FORMAT_MODULE_PATH = ["torget.core.formats"]
TIME_ZONE = "Europe/Oslo"
USE_I18N = True
USE_TZ = True

# --- static files and uploads ---------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
# Leaflet and Leaflet.draw come from the django-leaflet package (installed by pip, locked). Only
# its static files are used, so the app (which needs GDAL) is not installed: its folder is served.
_LEAFLET_SPEC = importlib.util.find_spec("leaflet")
STATICFILES_DIRS = [BASE_DIR / "static"] + [
    Path(location) / "static"
    for location in (_LEAFLET_SPEC.submodule_search_locations or [] if _LEAFLET_SPEC else [])
]
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "servestatic.storage.CompressedManifestStaticFilesStorage"},
}
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("MAX_UPLOAD_MB", 10) * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- background tasks -----------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": (
            "django_tasks.backends.immediate.ImmediateBackend"
            if env_bool("TASKS_IMMEDIATE", False)
            else "django_tasks_db.DatabaseBackend"
        )
    }
}
# The worker writes a heartbeat this often; /healthz calls it dead after three missed beats,
# and the tasks it left running go back in the queue (core.services.tasks_of_dead_workers_requeue).
WORKER_HEARTBEAT_SECONDS = float(env_str("WORKER_HEARTBEAT_SECONDS", "10"))

# --- cache ----------------------------------------------------------------------------------
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "torget"}
}
# Anonymous pages are cached this long in front of Django (torget.core.asgi_cache, wrapped
# around Django in config/asgi.py); 0 turns that cache off.
ANONYMOUS_CACHE_SECONDS = env_int("CACHE_SECONDS", 10)

# --- e-mail ---------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_TLS", False)
EMAIL_TIMEOUT = 20
DEFAULT_FROM_EMAIL = env_str("EMAIL_FROM", "Torget <noreply@torget.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- alert delivery (torget.alerts.delivery) ------------------------------------------------
ALERT_EMAIL_PROVIDER = env_str("ALERT_EMAIL_PROVIDER", "outbox")
ALERT_SMS_PROVIDER = env_str("ALERT_SMS_PROVIDER", "outbox")
ALERT_SMTP_HOST = env_str("ALERT_SMTP_HOST", EMAIL_HOST or "127.0.0.1")
ALERT_SMTP_PORT = env_int("ALERT_SMTP_PORT", EMAIL_PORT)
ALERT_SMTP_USER = env_str("ALERT_SMTP_USER", EMAIL_HOST_USER)
ALERT_SMTP_PASSWORD = env_str("ALERT_SMTP_PASSWORD", EMAIL_HOST_PASSWORD)
ALERT_SMTP_TLS = env_bool("ALERT_SMTP_TLS", EMAIL_USE_TLS)
ALERT_SMTP_TIMEOUT = float(env_str("ALERT_SMTP_TIMEOUT", "20"))
ALERT_SMTP_RATE = float(env_str("ALERT_SMTP_RATE", "100"))
ALERT_REPLY_TO = env_str("ALERT_REPLY_TO", "")
EMAIL_INBOUND_SECRET = env_str("EMAIL_INBOUND_SECRET", "")
ALERT_WORKER_ID = env_str("WORKER_ID", f"{socket.gethostname()}-1")
# A claimed row's lease; the delivery worker renews the leases of its rows every
# WORKER_HEARTBEAT_SECONDS, so only a worker that missed many beats loses them to the sweep.
ALERT_DELIVERY_LEASE_SECONDS = 120
# Temporary failures are retried with exponential backoff and jitter, this many tries in all.
ALERT_DELIVERY_MAX_ATTEMPTS = 8
ALERT_RETRY_BASE_SECONDS = 30
ALERT_RETRY_MAX_SECONDS = 3600
# The largest CSV of addresses or contacts staff may import (torget.alerts.services.imports).
ALERT_IMPORT_MAX_MB = env_int("ALERT_IMPORT_MAX_MB", 50)

# --- alert SMS: SMPP and the HTTP JSON provider (torget.alerts.providers) --------------------
SMS_SENDER = env_str("SMS_SENDER", "Torget")
SMPP_HOST = env_str("SMPP_HOST", "127.0.0.1")
SMPP_PORT = env_int("SMPP_PORT", 2775)
SMPP_SYSTEM_ID = env_str("SMPP_SYSTEM_ID", "")
SMPP_PASSWORD = env_str("SMPP_PASSWORD", "")
SMPP_SYSTEM_TYPE = env_str("SMPP_SYSTEM_TYPE", "")
SMPP_SOURCE_ADDR = env_str("SMPP_SOURCE_ADDR", SMS_SENDER)
SMPP_SOURCE_TON = env_int("SMPP_SOURCE_TON", -1)
SMPP_SOURCE_NPI = env_int("SMPP_SOURCE_NPI", -1)
SMPP_WINDOW = env_int("SMPP_WINDOW", 10)
SMPP_RATE = float(env_str("SMPP_RATE", "50"))
SMPP_BATCH_SIZE = env_int("SMPP_BATCH", 500)
SMPP_TIMEOUT = float(env_str("SMPP_TIMEOUT", "10"))
SMPP_ENQUIRE_LINK_SECONDS = 30.0
SMS_HTTP_URL = env_str("SMS_HTTP_URL", "")
SMS_HTTP_TOKEN = env_str("SMS_HTTP_TOKEN", "")
SMS_HTTP_TIMEOUT = float(env_str("SMS_HTTP_TIMEOUT", "10"))
SMS_HTTP_RATE = float(env_str("SMS_HTTP_RATE", "20"))
SMS_HTTP_BATCH_SIZE = 50
SMS_WEBHOOK_SECRET = env_str("SMS_WEBHOOK_SECRET", "")

# --- maps -----------------------------------------------------------------------------------
TORGET_MAP_TILES_URL = env_str(
    "MAP_TILES_URL",
    "https://cache.kartverket.no/v1/wmts/1.0.0/topo/default/webmercator/{z}/{y}/{x}.png",
)
if TORGET_MAP_TILES_URL.lower() == "none":
    TORGET_MAP_TILES_URL = ""
TORGET_MAP_ATTRIBUTION = env_str("MAP_ATTRIBUTION", "© Kartverket")
_MAP_TILES_ORIGIN = (
    "{0.scheme}://{0.netloc}".format(urlsplit(TORGET_MAP_TILES_URL)) if TORGET_MAP_TILES_URL else ""
)

# --- security -------------------------------------------------------------------------------
HTTPS = env_bool("HTTPS", False)
SITE_PORT = env_str("SITE_PORT", "")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "torget.core.views.csrf_failure"
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", True)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *([_MAP_TILES_ORIGIN] if _MAP_TILES_ORIGIN else [])],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- logging --------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env_str("LOG_FORMAT", "json"),
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "torget": {"handlers": ["console"], "level": LOG_LEVEL, "propagate": False},
        "django.request": {"handlers": ["console"], "level": "ERROR", "propagate": False},
        "django_tasks_db": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
