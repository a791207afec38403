"""Django settings for Truce, read from the environment.

TRUCE_MODE           "demo" (default for `truce demo`), "production" or "test"
TRUCE_DATA_DIR       where the SQLite file and uploads live (default ./var)
TRUCE_DATABASE_URL   sqlite:///path or postgres://user@host/db (default: SQLite in data dir)
TRUCE_SECRET_KEY     required outside demo and test mode
TRUCE_ALLOWED_HOSTS  comma-separated (default: localhost names)
TRUCE_TIME_ZONE      the mission's display time zone (storage is always UTC)
TRUCE_DEBUG          on/off (default off)
"""

from __future__ import annotations

import os
from pathlib import Path

import xstatic.pkg.leaflet

from truce.lib.database import database_from_url
from truce.lib.env import (
    ImproperEnvironment,
    env_bool,
    env_choice,
    env_datetime,
    env_float,
    env_int,
    env_list,
    env_str,
    env_time,
    env_timezone,
)

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent

TRUCE_MODE = env_str("TRUCE_MODE", "production")
if TRUCE_MODE not in {"demo", "production", "test"}:
    raise ImproperEnvironment(f"TRUCE_MODE={TRUCE_MODE!r}: expected demo, production or test")

DATA_DIR = Path(env_str("TRUCE_DATA_DIR", str(Path.cwd() / "var")) or "var").resolve()

_secret = env_str("TRUCE_SECRET_KEY")
if not _secret:
    if TRUCE_MODE == "production":
        raise ImproperEnvironment(
            "TRUCE_SECRET_KEY is required in production mode "
            "(set TRUCE_MODE=demo to run the demo without one)"
        )
    # Demo and test only: a fixed, clearly marked key that never protects real data.
    _secret = "insecure-demo-key-" + "x" * 40
elif len(_secret) < 32:
    raise ImproperEnvironment("TRUCE_SECRET_KEY must be at least 32 characters long")
SECRET_KEY = _secret

DEBUG = env_bool("TRUCE_DEBUG", False)
ALLOWED_HOSTS = env_list("TRUCE_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = (
    env_list("TRUCE_CSRF_TRUSTED_ORIGINS", []) if env_str("TRUCE_CSRF_TRUSTED_ORIGINS") else []
)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "js_lib_htmx",
    # Serves Swagger UI from its own static files, so /api/v1/docs works offline.
    "ninja",
    "truce.core",
    "truce.ledger",
    "truce.monitoring",
    "truce.alerts",
    "truce.population",
    "truce.detainees",
    "truce.damage",
    "truce.shelter",
    "truce.winter",
    "truce.mineaction",
    "truce.routing",
    "truce.logistics",
    "truce.convoys",
    "truce.funding",
    "truce.deployment",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "truce.urls"
WSGI_APPLICATION = "truce.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "truce.core.context_processors.truce",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(env_str("TRUCE_DATABASE_URL"), DATA_DIR / "truce.sqlite3"),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Storage is UTC; TRUCE_TIME_ZONE is only how times are shown to the mission.
USE_TZ = True
TIME_ZONE = "UTC"
MISSION_TIME_ZONE = env_timezone("TRUCE_TIME_ZONE", "Asia/Baku")

USE_I18N = True
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("ru", "Русский"),
    ("hy", "Հայերեն"),
    ("az", "Azərbaycanca"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
# WhiteNoise serves from the finders as well; an existing (possibly empty)
# STATIC_ROOT keeps it from warning on every start before collectstatic ran.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Leaflet comes from a pip package and is served from here: centres run offline.
STATICFILES_DIRS = [("leaflet", xstatic.pkg.leaflet.BASE_DIR)]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_MIMETYPES = {".geojson": "application/geo+json"}
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if TRUCE_MODE == "production":
    # Behind the deployment's TLS terminator; TRUCE_HTTPS=off for a plain-HTTP intranet.
    _https = env_bool("TRUCE_HTTPS", True)
    SESSION_COOKIE_SECURE = _https
    CSRF_COOKIE_SECURE = _https
    SECURE_SSL_REDIRECT = _https and env_bool("TRUCE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000 if _https else 0
    SECURE_HSTS_INCLUDE_SUBDOMAINS = _https
    SECURE_HSTS_PRELOAD = _https
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("TRUCE_LOG_LEVEL", "WARNING")},
}

# Mission-wide operational settings.
# Monitoring counts 24-hour windows "from the evening of X to the evening of
# Y": the window starts at this local time of the mission's zone.
TRUCE_WINDOW_BOUNDARY = env_time("TRUCE_WINDOW_BOUNDARY", "18:00")
# Running totals count from the ceasefire's hour (00:00 Moscow time, 10 Nov 2020
# in the demo's operation).
TRUCE_CEASEFIRE_START = env_datetime("TRUCE_CEASEFIRE_START", "2020-11-09T21:00:00Z")
# The duty-officer queue's poll also looks for silent OPs, so a centre without
# cron still hears of them; off in the demo, whose records end in 2020.
TRUCE_ALERTS_POLL_SILENCE = env_bool("TRUCE_ALERTS_POLL_SILENCE", TRUCE_MODE != "demo")
# Where new observations are grouped into incidents: "inline", in the ingest's
# own transaction, or "background", by a grouper beside the web processes
# (`truce serve` runs one and switches itself to background; with another
# server, run `truce grouper --loop` and set this). See monitoring/services/grouper.py.
TRUCE_GROUPING = env_choice("TRUCE_GROUPING", "inline", ("inline", "background"))
# Grouping observations into incidents (monitoring/services/grouping.py says how
# each rule works): reports of one event fall within WINDOW minutes and DISTANCE
# metres of each other; a bearing alone reaches MAX_RANGE metres; an incident's
# first report may be MAX_SPAN minutes earlier; places estimated from bearings
# agree within SIGMAS standard errors plus EVENT_EXTENT metres.
TRUCE_GROUPING_WINDOW_MINUTES = env_int("TRUCE_GROUPING_WINDOW_MINUTES", 10, minimum=1)
TRUCE_GROUPING_DISTANCE_M = env_int("TRUCE_GROUPING_DISTANCE_M", 3_000, minimum=1)
TRUCE_GROUPING_MAX_RANGE_M = env_int("TRUCE_GROUPING_MAX_RANGE_M", 15_000, minimum=1)
TRUCE_GROUPING_MAX_SPAN_MINUTES = env_int("TRUCE_GROUPING_MAX_SPAN_MINUTES", 120, minimum=1)
TRUCE_GROUPING_SIGMAS = env_float("TRUCE_GROUPING_SIGMAS", 3.5, above=0)
TRUCE_GROUPING_EVENT_EXTENT_M = env_int("TRUCE_GROUPING_EVENT_EXTENT_M", 300, minimum=0)
# Estimated distances are rough: a bearing-and-distance report may be off by this share.
TRUCE_DISTANCE_ERROR_MAX = env_float("TRUCE_DISTANCE_ERROR_MAX", 0.3, above=0)
# The error model of position fixes (defaults in truce/lib/bearings.py), if given.
if "TRUCE_BEARING_SIGMA_DEG" in os.environ:
    TRUCE_BEARING_SIGMA_DEG = env_float("TRUCE_BEARING_SIGMA_DEG", 2.0, above=0)
if "TRUCE_DISTANCE_ERROR" in os.environ:
    TRUCE_DISTANCE_ERROR = env_float("TRUCE_DISTANCE_ERROR", 0.1, above=0)
# The farthest an observer may report an event from itself, and the largest attachment.
TRUCE_MAX_OBSERVATION_DISTANCE_M = env_int("TRUCE_MAX_OBSERVATION_DISTANCE_M", 100_000, minimum=1)
TRUCE_MAX_ATTACHMENT_BYTES = env_int("TRUCE_MAX_ATTACHMENT_BYTES", 20 * 1024 * 1024, minimum=1)
# Optional signed webhook for alerts (HMAC-SHA256 in X-Truce-Signature).
TRUCE_ALERT_WEBHOOK_URL = env_str("TRUCE_ALERT_WEBHOOK_URL", "") or ""
TRUCE_ALERT_WEBHOOK_SECRET = env_str("TRUCE_ALERT_WEBHOOK_SECRET", "") or ""
TRUCE_API_PAGE_MAX = 500
TRUCE_SCENARIO_DIR = PROJECT_DIR / "scenarios"

# Safe routing (truce.routing): how far a route's endpoint may be from the nearest road,
# and the default margin kept around open hazard areas.
TRUCE_ROUTING_SNAP_MAX_M = env_int("TRUCE_ROUTING_SNAP_MAX_M", 2_000, minimum=1)
TRUCE_ROUTING_HAZARD_BUFFER_M = env_int("TRUCE_ROUTING_HAZARD_BUFFER_M", 100, minimum=0)
