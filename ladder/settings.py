"""Ladder settings: every value comes from an environment variable, with embedded defaults.

The defaults run Ladder on one machine with SQLite under ``./var/``; production sets
``DATABASE_URL``, ``LADDER_SECRET_KEY``, ``LADDER_ALLOWED_HOSTS`` and an SMTP relay.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    return env(name, "1" if default else "0").lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(env("LADDER_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)
(DATA_DIR / "static").mkdir(exist_ok=True)  # whitenoise warns on a missing STATIC_ROOT

DEBUG = env_bool("LADDER_DEBUG", False)
# The embedded default key is public; `ladder check --deploy` flags it.
SECRET_KEY = env("LADDER_SECRET_KEY", "ladder-insecure-embedded-default-change-me-in-production")
ALLOWED_HOSTS = [
    h for h in env("LADDER_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h
]
CSRF_TRUSTED_ORIGINS = [o for o in env("LADDER_CSRF_TRUSTED_ORIGINS").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks_db",
    # `web` comes before allauth so that its templates override allauth's login layout.
    "ladder.web",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "ladder.core",
    "ladder.people",
    "ladder.activity",
    "ladder.imports",
    "ladder.segments",
    "ladder.ladders",
    "ladder.actions",
    "ladder.mailings",
    "ladder.organizing",
    "ladder.identity",
    "ladder.insights",
    "ladder.api",
    "ninja",
    "anymail",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before CommonMiddleware, so an API path with a trailing slash is never redirected.
    "ladder.api.middleware.ApiMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "ladder.urls"
WSGI_APPLICATION = "ladder.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{DATA_DIR / 'ladder.sqlite3'}"), conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE avoids
    # "database is locked" upgrades from read to write inside a transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;"
            " PRAGMA cache_size=-200000; PRAGMA temp_store=MEMORY;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
    # Keep each server thread's connection between requests: a new SQLite connection parses
    # the schema and starts with a cold page cache, which cost more than the request itself
    # (measured with granian on one core: /healthz 122 → 519 requests/s, an API person read
    # 215 → 491). An idle connection in autocommit mode holds no snapshot, so WAL checkpoints
    # are not held back.
    DATABASES["default"]["CONN_MAX_AGE"] = 600
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test.sqlite3")}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
# Staff accounts are created by admins (`ladder user create`), never by open signup.
ACCOUNT_ADAPTER = "ladder.core.auth.ClosedSignupAdapter"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
LOGIN_REDIRECT_URL = "/"
LOGIN_URL = "/accounts/login/"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("LADDER_TIME_ZONE", "America/Chicago")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "ladder.insights.staticfiles.PlotlyFinder",
]
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Outgoing mail (Django 6.1 MAILERS): SMTP, by default to the local sink `ladder demo` runs.
DEFAULT_FROM_EMAIL = env("LADDER_FROM_EMAIL", "Ladder <ladder@localhost>")
MAILERS = {
    "default": {
        "BACKEND": env("LADDER_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend"),
        "OPTIONS": {
            "host": env("LADDER_SMTP_HOST", "127.0.0.1"),
            "port": int(env("LADDER_SMTP_PORT", "1025")),
            "username": env("LADDER_SMTP_USER"),
            "password": env("LADDER_SMTP_PASSWORD"),
            "use_tls": env_bool("LADDER_SMTP_TLS", False),
            "timeout": 20,
        },
    }
}
if not env("LADDER_EMAIL_BACKEND", "smtp.EmailBackend").endswith("smtp.EmailBackend"):
    MAILERS["default"]["OPTIONS"] = {}  # the SMTP options mean nothing to another backend

# Content security policy (Django's own middleware): scripts only from Ladder (htmx is served
# from static files), no plugins, forms post only to Ladder, framed by Ladder alone — a public
# action page widens frame-ancestors to its own allowed origins. Inline style attributes are
# allowed (progress bars set their width); inline scripts are not.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "https:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}

TASKS = {
    "default": {
        "BACKEND": env("LADDER_TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Ladder's own knobs.
LADDER_PHONE_REGION = env("LADDER_PHONE_REGION", "US")
# Days without anyone acting after which a group is flagged on the dashboard.
LADDER_GROUP_QUIET_DAYS = int(env("LADDER_GROUP_QUIET_DAYS", "30"))
LADDER_IMPORT_BATCH_SIZE = int(env("LADDER_IMPORT_BATCH_SIZE", "5000"))
LADDER_ROLLUP_BATCH_SIZE = int(env("LADDER_ROLLUP_BATCH_SIZE", "50000"))
LADDER_ORG_NAME = env("LADDER_ORG_NAME", "Prairie Forward")
# Public pages: posts per IP address and page per minute (0: no limit), and the header a
# trusted proxy puts the client's address in (empty: use the connection's address).
LADDER_PUBLIC_POSTS_PER_MINUTE = int(env("LADDER_PUBLIC_POSTS_PER_MINUTE", "30"))
LADDER_PROXY_IP_HEADER = env("LADDER_PROXY_IP_HEADER")
# Supporters tagged with this publish the events they propose at once (others wait for staff).
LADDER_TRUSTED_HOST_TAG = env("LADDER_TRUSTED_HOST_TAG", "trusted host")
# The Basic-auth credentials ActBlue's webhook posts with (both empty: the webhook is off).
LADDER_ACTBLUE_USER = env("LADDER_ACTBLUE_USER")
LADDER_ACTBLUE_PASSWORD = env("LADDER_ACTBLUE_PASSWORD")
# Where the public reaches Ladder, for links in emails (RSVP pages, thank-you links).
LADDER_PUBLIC_URL = env("LADDER_PUBLIC_URL", "http://127.0.0.1:8000")
# Email services' tracking webhooks (django-anymail, under /m/anymail/<service>/tracking/):
# the "user:password" they post with as HTTP Basic auth. Empty: the webhooks are off.
ANYMAIL = {"WEBHOOK_SECRET": env("LADDER_ANYMAIL_WEBHOOK_SECRET")}
# Mailings: the domain of Message-IDs (default: DEFAULT_FROM_EMAIL's), a VERP bounce domain,
# DKIM signing (on when a key file is set), and the sender's batch size and recovery timing.
LADDER_MAIL_DOMAIN = env("LADDER_MAIL_DOMAIN")
LADDER_BOUNCE_DOMAIN = env("LADDER_BOUNCE_DOMAIN")
LADDER_DKIM_KEY_FILE = env("LADDER_DKIM_KEY_FILE")
LADDER_DKIM_SELECTOR = env("LADDER_DKIM_SELECTOR", "ladder")
LADDER_DKIM_DOMAIN = env("LADDER_DKIM_DOMAIN")
LADDER_MAIL_BATCH_SIZE = int(env("LADDER_MAIL_BATCH_SIZE", "200"))
# A batch whose worker has not written for this long is taken back (a worker on this host
# that is gone is noticed at once, by its pid).
LADDER_MAIL_STALE_SECONDS = int(env("LADDER_MAIL_STALE_SECONDS", "120"))
LADDER_MAIL_RETRY_SECONDS = int(env("LADDER_MAIL_RETRY_SECONDS", "60"))
LADDER_MAIL_MAX_ATTEMPTS = int(env("LADDER_MAIL_MAX_ATTEMPTS", "5"))

SESSION_COOKIE_SECURE = env_bool("LADDER_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A page embedded in another site posts from a third-party frame, where only a SameSite=None
# cookie is sent — and browsers take those only over HTTPS, so it follows the secure switch.
CSRF_COOKIE_SAMESITE = "None" if CSRF_COOKIE_SECURE else "Lax"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LADDER_LOG_LEVEL", "WARNING")},
}

# The API (ladder.api): the prefix of every resource id (12 hex digits, fixed per installation,
# so that ids from another installation are never found here), the default rate limit per
# token, and how long a webhook receiver gets to answer.
LADDER_API_ID_PREFIX = env("LADDER_API_ID_PREFIX", "1add3e000000")
LADDER_API_RATE_PER_MINUTE = int(env("LADDER_API_RATE_PER_MINUTE", "1200"))
LADDER_WEBHOOK_TIMEOUT = float(env("LADDER_WEBHOOK_TIMEOUT", "10"))
