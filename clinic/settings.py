"""Settings for the clinic app. Every value a deployment changes comes from the environment."""

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from clinic.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=False)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"  # noqa: S105
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random value, or set DEBUG=1 for local development."
        )
    SECRET_KEY = _DEV_SECRET_KEY
elif SECRET_KEY == _DEV_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured("SECRET_KEY is the development key; production needs its own.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

CLINIC_NAME = env_str("CLINIC_NAME", "Riverside Acupuncture & Back Pain Clinic")
CLINIC_PHONE = env_str("CLINIC_PHONE", "(555) 010-2400")
CLINIC_EMAIL = env_str("CLINIC_EMAIL", "frontdesk@clinic.example")
CLINIC_ADDRESS = env_str("CLINIC_ADDRESS", "120 River Street, Suite 4, Springfield, IL 62701")
CLINIC_TAX_ID = env_str("CLINIC_TAX_ID", "00-0000000")
# Where patients reach the app: the reminder command builds links from it (no request to ask).
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")
# The clinic's namespace in its FHIR export (docs/fhir.md): identifier systems, its own code systems and
# extensions live under it. Set it once and keep it: a receiving system matches records by it.
FHIR_SYSTEM_URI = env_str("FHIR_SYSTEM_URI", SITE_URL.rstrip("/") + "/fhir")
# Numbers a patient is told to call, shown as tappable links wherever urgent advice is given.
EMERGENCY_NUMBER = env_str("EMERGENCY_NUMBER", "911")
CRISIS_LINE = env_str("CRISIS_LINE", "988")
CRISIS_LINE_NAME = env_str("CRISIS_LINE_NAME", "the 988 Suicide & Crisis Lifeline")

# Urgent alerts (a warning sign between visits, a red flag at intake, PHQ-9 item 9 above 0) are sent at
# once to these on-call addresses and to the patient's practitioner, through ALERT_CHANNEL (a dotted
# path to a function taking to=, subject= and body=; email by default). An alert nobody has
# acknowledged after ALERT_ESCALATE_MINUTES goes to the managers (manage.py escalate_alerts, from cron).
CLINIC_ALERT_EMAILS = env_list("CLINIC_ALERT_EMAILS")
ALERT_CHANNEL = env_str("ALERT_CHANNEL", "intake.alerts.email_channel")
ALERT_ESCALATE_MINUTES = env_int("ALERT_ESCALATE_MINUTES", 60)
if ALERT_ESCALATE_MINUTES < 1:
    raise ImproperlyConfigured(f"ALERT_ESCALATE_MINUTES={ALERT_ESCALATE_MINUTES} must be at least 1.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_filters",
    "auditlog",
    "django_ratelimit",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Single-use backup codes for a lost phone (clinic.twofactor).
    "django_otp.plugins.otp_static",
    "csp",
    "health_check",
    "clinic",
    "intake",
    "treatments",
    "scheduling",
    "outcomes",
    "records",
    "pages",
]

MIDDLEWARE = [
    # First: every log line of the request, and its response (even a redirect), carries its id.
    "clinic.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise: static files keep their caching; every page is no-store unless its view says otherwise.
    "clinic.security.NoStoreMiddleware",
    "clinic.security.RefuseNulMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "clinic.signin.IdleTimeoutMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Django's, allowing the `Origin: null` that the patient pages' no-referrer policy makes browsers send.
    "clinic.security.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "clinic.signin.SessionPermissionsMiddleware",
    "clinic.locations.LocationScopeMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "clinic.twofactor.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # django-auditlog's, with the client's address from the trusted proxies only (clinic.security).
    "clinic.audit.AuditlogMiddleware",
    # Last, so it sees every failed login the authentication backends report.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username or address before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "clinic.backends.ClinicModelBackend",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

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
                "clinic.context_processors.clinic",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the patient form and staff pages read while a write is in progress.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif (prepare_after := env_int("DB_PREPARE_THRESHOLD", 2)) > 0:
    # PostgreSQL plans each statement anew unless it is prepared; the user's own query (its role's
    # second-factor rule) took 1.6 ms to plan and 0.3 ms to run on every staff page. psycopg prepares a
    # statement on a connection once it has run this many times there; that needs server-side binding
    # (parameters sent apart from the SQL). 0 turns both off: a transaction-pooling PgBouncer without
    # max_prepared_statements cannot keep prepared statements.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": prepare_after}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LOGIN_URL = "clinic:login"
LOGIN_REDIRECT_URL = "pages:dashboard"
LOGOUT_REDIRECT_URL = "clinic:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "America/Chicago")
# One language, no translations: Django's advice is to switch the translation machinery off, which
# also makes every date and number the pages format cheaper. Formats stay those of LANGUAGE_CODE.
USE_I18N = False
USE_TZ = True
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%m/%d/%Y", "%m/%d/%y"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Tests and `runserver` serve straight from the finders, so no collectstatic step is needed there.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# Form widgets render through Django's own Jinja2 copies of its widget templates (the same HTML, about
# half the time of the session form); pages, and the admin's widgets, stay in Django's template language.
FORM_RENDERER = "clinic.renderers.FormRenderer"
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The console backend prints every email, patients' names and working links included, to the log:
# for local development only. Production sends by SMTP unless told otherwise, and refuses the console.
_CONSOLE_EMAIL = "django.core.mail.backends.console.EmailBackend"
EMAIL_BACKEND = env_str("EMAIL_BACKEND", _CONSOLE_EMAIL if DEBUG else "django.core.mail.backends.smtp.EmailBackend")
if EMAIL_BACKEND == _CONSOLE_EMAIL and not DEBUG:
    raise ImproperlyConfigured(
        "EMAIL_BACKEND is the console backend, which writes patients' names and working links to the log; "
        "set an SMTP (or other real) backend for production."
    )
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", CLINIC_EMAIL)

# Cache: Redis when CACHE_URL is set (several app servers share it), else this process's memory.
CACHE_URL = env_str("CACHE_URL")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "clinic"}
}
# django-ratelimit throttles patient-link attempts. It only vouches for memcached and django-redis;
# Django's own RedisCache increments atomically too, and the in-memory default is exact for one
# process only: with several workers or servers, CACHE_URL (Redis) is required (`check --deploy` says so).
# security.W003 looks for Django's CSRF middleware by name; clinic.security.CsrfViewMiddleware is a subclass.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001", "axes.W006", "security.W003"]
# Per client address (from the trusted proxies), and per link wherever the attempts come from.
PATIENT_LINK_RATE = env_str("PATIENT_LINK_RATE", "30/h")
PATIENT_LINK_TOKEN_RATE = env_str("PATIENT_LINK_TOKEN_RATE", "20/h")

# How many reverse proxies stand in front of the app, each appending to X-Forwarded-For: the client's
# address is that many entries from the right (clinic.security.client_ip). 0: the connecting address.
BEHIND_PROXY = env_bool("BEHIND_PROXY", default=False)
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if BEHIND_PROXY else 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_COUNT={TRUSTED_PROXY_COUNT} cannot be negative.")

# Audit trail: django-auditlog records who changed what, from which address.
AUDITLOG_INCLUDE_ALL_MODELS = False
AUDITLOG_DISABLE_REMOTE_ADDR = False

# Login throttling (django-axes): five failures lock the username for 15 minutes.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
# By username, not address: a clinic's staff share one address, and five typos by one must not lock all.
AXES_LOCKOUT_PARAMETERS = ["username"]
# A right password clears the username's earlier failures only when no second factor follows; for a user who has
# or must set up one, only the passed code (or a finished set-up) clears them, or password + wrong codes, again
# and again, would never lock (clinic.twofactor.SignInLockoutHandler, clinic.services.reset_failures_after_sign_in).
AXES_RESET_ON_SUCCESS = False
AXES_HANDLER = "clinic.twofactor.SignInLockoutHandler"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# The address of each attempt is the client's, from the trusted proxies; a username too long for axes's
# column is cut to the longest a username can be (a longer one was an error page).
AXES_CLIENT_IP_CALLABLE = "clinic.security.axes_client_ip"
AXES_USERNAME_CALLABLE = "clinic.security.axes_username"

# Staff sessions end after 15 idle minutes (activity renews them) and when the browser closes.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_MINUTES", 15) * 60
SESSION_SAVE_EVERY_REQUEST = False  # clinic.signin.IdleTimeoutMiddleware renews them, once a minute
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Two-factor sign-in (django-otp, TOTP): required for managers, optional for everyone else.
OTP_TOTP_ISSUER = CLINIC_NAME
TWO_FACTOR_REQUIRED_GROUPS = ["Manager"]
# ... and any account holding one of these, however it was given (a single permission, another group).
TWO_FACTOR_REQUIRED_PERMISSIONS = [
    "auditlog.view_logentry",
    "auth.add_user",
    "auth.change_user",
    "outcomes.view_report",
    # Whoever may take away someone else's second factor must use one.
    "clinic.reset_second_factor",
    "clinic.lift_lockout",
]

# Content Security Policy (django-csp): nothing inline, nothing from another site.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# Bodies: Django refuses more than 2.5 MB or 1,000 fields with a 400; the app takes no uploads.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000

# Security: production defaults, relaxed only when DEBUG is on.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    if BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Logs go to standard error: one JSON object per line in production (LOG_FORMAT=json, the default without
# DEBUG), for a log collector; plain text with DEBUG. Every line carries the request's id (X-Request-ID,
# clinic.logs.RequestIdMiddleware). No line holds a request body, a query string or a patient link's token.
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        # No log line holds a working patient link; a 403 is one line, without a traceback.
        "redact_link_tokens": {"()": "clinic.logs.RedactLinkTokens"},
        "quiet_permission_denied": {"()": "clinic.logs.QuietPermissionDenied"},
        "request_id": {"()": "clinic.logs.RequestIdFilter"},
    },
    "formatters": {
        "json": {"()": "clinic.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["redact_link_tokens", "quiet_permission_denied", "request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # runserver's request lines, through the same filters (Django gives them a handler of their own).
    "loggers": {"django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}

# Error reports (optional): with SENTRY_DSN set, unhandled errors go to that Sentry-protocol server (Sentry,
# or a self-hosted GlitchTip or Bugsink) without request data, user, local variables or breadcrumbs
# (clinic.error_reports). Unset, nothing is loaded and nothing leaves the server.
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    from clinic.error_reports import start_error_reports

    start_error_reports(dsn=SENTRY_DSN, environment=env_str("SENTRY_ENVIRONMENT", "production"))
