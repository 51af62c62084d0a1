"""Settings read from the environment, with safe development defaults.

Every setting has one name, used both as the environment variable and as the Flask
config key. `SHOP_ENV` selects the profile: ``development`` (the default, used by
``make run``), ``production`` (gunicorn) or ``testing`` (the test-suite).
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any

from babel.numbers import is_currency

from shop.core.errors import ConfigError
from shop.payments.shipping_countries import STRIPE_SHIPPING_COUNTRIES

ENVIRONMENTS = ("development", "production", "testing")
DEFAULT_SECRET_PLACEHOLDERS = {"", "dev", "changeme", "change-me", "secret"}


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _int_env(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _bool_env(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _secret_key(env: str, instance_path: Path) -> str:
    """Return SECRET_KEY; outside production, generate it once into the instance folder."""
    key = _env("SECRET_KEY")
    if key is not None:
        if env == "production" and (key in DEFAULT_SECRET_PLACEHOLDERS or len(key) < 32):
            raise ConfigError(
                "SECRET_KEY is too weak for production: use at least 32 random characters "
                '(python -c "import secrets; print(secrets.token_hex(32))").'
            )
        return key
    if env == "production":
        raise ConfigError(
            "SECRET_KEY is not set. Production refuses to start without one: set SECRET_KEY "
            "to at least 32 random characters "
            '(python -c "import secrets; print(secrets.token_hex(32))").'
        )
    if env == "testing":
        return "testing-secret-key-not-for-production"
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    return key


def _database_url(instance_path: Path) -> str:
    url = _env("DATABASE_URL")
    if url is None:
        instance_path.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{instance_path / 'shop.db'}"
    # Heroku-style URLs name the driver "postgres://"; SQLAlchemy wants psycopg 3 spelled out.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load_config(instance_path: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask config from the environment, then apply explicit overrides."""
    overrides = overrides or {}
    env = str(overrides.get("SHOP_ENV") or _env("SHOP_ENV", "development"))
    if env not in ENVIRONMENTS:
        raise ConfigError(f"SHOP_ENV must be one of {', '.join(ENVIRONMENTS)}, got {env!r}")
    path = Path(instance_path)
    currency = str(overrides.get("SHOP_CURRENCY") or _env("SHOP_CURRENCY", "USD")).upper()
    if not is_currency(currency):
        raise ConfigError(f"SHOP_CURRENCY {currency!r} is not an ISO 4217 currency")

    config: dict[str, Any] = {
        "SHOP_ENV": env,
        "TESTING": env == "testing",
        "SECRET_KEY": overrides.get("SECRET_KEY") or _secret_key(env, path),
        "SQLALCHEMY_DATABASE_URI": overrides.get("DATABASE_URL") or _database_url(path),
        # A server connection may have been dropped while pooled: ping it when taken out. A
        # SQLite file cannot drop, so it skips the extra round trip on every request.
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "SHOP_BASE_URL": (_env("SHOP_BASE_URL", "http://127.0.0.1:5000") or "").rstrip("/"),
        "SHOP_NAME": _env("SHOP_NAME", "Dr. Hale Skin Clinic Shop"),
        "SHOP_CURRENCY": currency,
        "SHOP_LOCALE": _env("SHOP_LOCALE", "en_US"),
        "SHOP_LOW_STOCK_THRESHOLD": _int_env("SHOP_LOW_STOCK_THRESHOLD", 5),
        "SHOP_PAGE_SIZE": _int_env("SHOP_PAGE_SIZE", 24),
        "SHOP_PROXY_COUNT": _int_env("SHOP_PROXY_COUNT", 0),
        "MEDIA_ROOT": _env("MEDIA_ROOT", str(path / "media")),
        # Media storage (shop/core/storage.py): "local" keeps files in MEDIA_ROOT; "s3" keeps
        # them in S3_BUCKET (any S3-compatible service through S3_ENDPOINT_URL; boto3's default
        # credentials when the key pair is unset). MEDIA_URL: the bucket's or CDN's public
        # address; unset, the app's /media/ route streams from the bucket.
        "MEDIA_STORAGE": (_env("MEDIA_STORAGE", "local") or "local").lower(),
        "MEDIA_URL": (_env("MEDIA_URL") or "").rstrip("/") or None,
        "S3_BUCKET": _env("S3_BUCKET"),
        "S3_ENDPOINT_URL": _env("S3_ENDPOINT_URL"),
        "S3_REGION": _env("S3_REGION"),
        "S3_ACCESS_KEY_ID": _env("S3_ACCESS_KEY_ID"),
        "S3_SECRET_ACCESS_KEY": _env("S3_SECRET_ACCESS_KEY"),
        # Page weight (shop/core/assets.py): static URLs carry a content hash and are cached
        # for a year; the plain names for this many seconds. Text responses of at least
        # COMPRESS_MIN_SIZE bytes are gzipped at COMPRESS_LEVEL (1-9).
        "STATIC_MAX_AGE": _int_env("STATIC_MAX_AGE", 300),
        "COMPRESS_MIN_SIZE": _int_env("COMPRESS_MIN_SIZE", 500),
        "COMPRESS_LEVEL": _int_env("COMPRESS_LEVEL", 6),
        "LOG_LEVEL": _env("LOG_LEVEL", "INFO"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": env == "production",
        "WTF_CSRF_TIME_LIMIT": None,
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
        # Outgoing mail. "file" writes .eml files under MAIL_FILE_DIR (the default outside
        # production, so `make run` needs no mail server); "smtp" sends through MAIL_SERVER.
        "MAIL_BACKEND": _env("MAIL_BACKEND", "smtp" if env == "production" else "file"),
        "MAIL_FILE_DIR": _env("MAIL_FILE_DIR", str(path / "mail")),
        "MAIL_SERVER": _env("MAIL_SERVER", "localhost"),
        "MAIL_PORT": _int_env("MAIL_PORT", 25),
        "MAIL_USERNAME": _env("MAIL_USERNAME"),
        "MAIL_PASSWORD": _env("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _bool_env("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool_env("MAIL_USE_SSL", False),
        "MAIL_TIMEOUT": _int_env("MAIL_TIMEOUT", 10),
        "MAIL_DEFAULT_SENDER": _env("MAIL_DEFAULT_SENDER", "Dr. Hale's Shop <shop@localhost>"),
        "MAIL_STAFF_ADDRESS": _env("MAIL_STAFF_ADDRESS", "staff@localhost"),
        # Rate limits (Flask-Limiter): in memory by default, shared through Redis when set.
        # RATELIMIT_ENABLED=0 turns them off (`make attack` does, so scanners are not starved).
        "REDIS_URL": _env("REDIS_URL"),
        "RATELIMIT_ENABLED": _bool_env("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": _env("REDIS_URL", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "ASK_RATE_LIMIT": _env("ASK_RATE_LIMIT", "10 per hour"),
        "PROMOTION_CODE_RATE_LIMIT": _env("PROMOTION_CODE_RATE_LIMIT", "10 per minute"),
        # The page cache (shop/core/pagecache.py, Flask-Caching): unset, in the process
        # ("SimpleCache"), or in Redis ("RedisCache") when REDIS_URL is set; "NullCache" turns
        # it off. Entries live at most CACHE_DEFAULT_TIMEOUT seconds; a process keeps at most
        # CACHE_THRESHOLD pages in memory.
        "CACHE_TYPE": _env("CACHE_TYPE"),
        "CACHE_DEFAULT_TIMEOUT": _int_env("CACHE_DEFAULT_TIMEOUT", 3600),
        "CACHE_THRESHOLD": _int_env("CACHE_THRESHOLD", 1000),
        # Payments. STRIPE_API_BASE points stripe-python at the local sandbox (make run, tests);
        # unset, the same code talks to Stripe.
        "STRIPE_SECRET_KEY": _env("STRIPE_SECRET_KEY"),
        "STRIPE_WEBHOOK_SECRET": _env("STRIPE_WEBHOOK_SECRET"),
        "STRIPE_API_BASE": _env("STRIPE_API_BASE"),
        "STRIPE_MAX_NETWORK_RETRIES": _int_env("STRIPE_MAX_NETWORK_RETRIES", 2),
        "STRIPE_TIMEOUT": _int_env("STRIPE_TIMEOUT", 20),
        "STRIPE_SANDBOX_BANNER": _bool_env("STRIPE_SANDBOX_BANNER", False),
        "SHOP_SHIPPING_COUNTRIES": [
            c.strip().upper()
            for c in (_env("SHOP_SHIPPING_COUNTRIES", "US,CA") or "").split(",")
            if c.strip()
        ],
        "SHOP_SHIPPING_FLAT_RATE": _int_env("SHOP_SHIPPING_FLAT_RATE", 695),
        "SHOP_FREE_SHIPPING_OVER": _int_env("SHOP_FREE_SHIPPING_OVER", 7500),
        "CHECKOUT_SESSION_MINUTES": _int_env("CHECKOUT_SESSION_MINUTES", 30),
        # Sales tax: on, Stripe Tax computes it from the shipping address (prices stay
        # tax-exclusive); each product sends its own Stripe tax code, else this one.
        "SHOP_AUTOMATIC_TAX": _bool_env("SHOP_AUTOMATIC_TAX", False),
        "SHOP_DEFAULT_TAX_CODE": _env("SHOP_DEFAULT_TAX_CODE", "txcd_99999999"),
        # Attribution: answers read within this many hours count towards an order; view
        # counts are written in batches of this many, or this often.
        "VISIT_HOURS": _int_env("VISIT_HOURS", 24),
        "ANSWER_STATS_FLUSH_EVERY": _int_env(
            "ANSWER_STATS_FLUSH_EVERY", 1 if env == "testing" else 50
        ),
        "ANSWER_STATS_FLUSH_SECONDS": _int_env("ANSWER_STATS_FLUSH_SECONDS", 10),
    }
    if not str(config["SQLALCHEMY_DATABASE_URI"]).startswith("sqlite"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    if "DATABASE_URL" in overrides:
        overrides = {k: v for k, v in overrides.items() if k != "DATABASE_URL"}
    config.update(overrides)
    _refuse_unusable_checkout(config)
    if env == "production":
        _refuse_unsafe_production(config)
    return config


# A Stripe product tax code: "txcd_" and eight digits.
TAX_CODE = re.compile(r"txcd_\d{8}")
# Stripe expires a Checkout Session between 30 minutes and 24 hours after creating it.
CHECKOUT_MINUTES_RANGE = (30, 1440)
# Codes people write for a country that are not its ISO 3166-1 alpha-2 code.
COUNTRY_CODE_MISTAKES = {"UK": "GB", "EL": "GR"}


def _refuse_unusable_checkout(config: dict[str, Any]) -> None:
    """Refuse checkout settings Stripe would refuse at every checkout (in every profile)."""
    countries = list(config["SHOP_SHIPPING_COUNTRIES"])
    if not countries:
        raise ConfigError(
            "SHOP_SHIPPING_COUNTRIES is empty: name at least one country to ship to, as "
            "ISO 3166-1 alpha-2 codes separated by commas (e.g. US,CA)."
        )
    for code in countries:
        if code in STRIPE_SHIPPING_COUNTRIES:
            continue
        hint = COUNTRY_CODE_MISTAKES.get(code)
        suggestion = f" (did you mean {hint}?)" if hint else ""
        raise ConfigError(
            f"SHOP_SHIPPING_COUNTRIES has {code!r}, which is not an ISO 3166-1 alpha-2 code "
            f"Stripe Checkout can ship to{suggestion}: use two-letter codes separated by "
            "commas, e.g. US,CA,GB."
        )
    tax_code = config["SHOP_DEFAULT_TAX_CODE"]
    if not isinstance(tax_code, str) or not TAX_CODE.fullmatch(tax_code):
        raise ConfigError(
            f"SHOP_DEFAULT_TAX_CODE must be a Stripe product tax code such as txcd_99999999 "
            f"(txcd_ and eight digits; Stripe's list: https://stripe.com/docs/tax/tax-codes), "
            f"got {tax_code!r}."
        )
    low, high = CHECKOUT_MINUTES_RANGE
    minutes = config["CHECKOUT_SESSION_MINUTES"]
    if not isinstance(minutes, int) or not low <= minutes <= high:
        raise ConfigError(
            f"CHECKOUT_SESSION_MINUTES must be between {low} and {high:,} (Stripe keeps a "
            f"Checkout Session open at least 30 minutes and at most 24 hours), got {minutes!r}."
        )


STRIPE_KEY_PREFIXES = ("sk_live_", "sk_test_", "rk_live_", "rk_test_")


def _refuse_unsafe_production(config: dict[str, Any]) -> None:
    """Stop production from starting with settings that would fail quietly later."""
    key = str(config.get("STRIPE_SECRET_KEY") or "")
    if key and not key.startswith(STRIPE_KEY_PREFIXES):
        raise ConfigError(
            "STRIPE_SECRET_KEY does not look like a Stripe secret key (sk_live_..., sk_test_... "
            "or a restricted rk_...): copy it from the Stripe dashboard, Developers > API keys."
        )
    if key and not config.get("STRIPE_WEBHOOK_SECRET"):
        # Without it every webhook is refused: customers pay and their orders never get paid.
        raise ConfigError(
            "STRIPE_WEBHOOK_SECRET is not set, but STRIPE_SECRET_KEY is: without it every "
            "Stripe webhook is refused and paid orders are never marked paid. Set it to the "
            "endpoint's signing secret (whsec_..., Stripe dashboard > Developers > Webhooks)."
        )
