"""Settings come from the environment; production refuses unsafe ones and says why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shop import create_app
from shop.config import load_config
from shop.core.errors import ConfigError
from shop.payments.shipping_countries import STRIPE_SHIPPING_COUNTRIES
from stripe_sandbox.core import default_shared_dir


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SHOP_ENV", "SECRET_KEY", "DATABASE_URL", "SHOP_CURRENCY", "SHOP_BASE_URL"):
        monkeypatch.delenv(name, raising=False)


def test_production_refuses_to_start_without_a_secret_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SHOP_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY is not set"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


@pytest.mark.parametrize("weak", ["dev", "changeme", "short-key"])
def test_production_refuses_a_weak_secret_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, weak: str
) -> None:
    monkeypatch.setenv("SHOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", weak)
    with pytest.raises(ConfigError, match="too weak"):
        load_config(str(tmp_path))


def test_production_starts_with_a_strong_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SHOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgres://shop@db.internal/shop")
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://shop@db.internal/shop"
    assert config["SESSION_COOKIE_SECURE"] is True
    assert not (tmp_path / "secret_key").exists()


def test_development_generates_a_secret_once_and_keeps_it(tmp_path: Path) -> None:
    first = load_config(str(tmp_path))
    second = load_config(str(tmp_path))
    assert len(first["SECRET_KEY"]) == 64
    assert first["SECRET_KEY"] == second["SECRET_KEY"]
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_defaults_are_a_local_sqlite_shop_in_dollars(tmp_path: Path) -> None:
    config = load_config(str(tmp_path))
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'shop.db'}"
    assert config["SHOP_CURRENCY"] == "USD"
    assert config["SHOP_BASE_URL"] == "http://127.0.0.1:5000"
    assert config["SESSION_COOKIE_SECURE"] is False


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SHOP_CURRENCY", "XYZ", "ISO 4217"),
        ("SHOP_ENV", "staging", "SHOP_ENV must be one of"),
        ("SHOP_PAGE_SIZE", "many", "whole number"),
    ],
)
def test_bad_settings_are_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_config(str(tmp_path))


@pytest.mark.parametrize("key", ["sk_live_51abc", "sk_test_51abc", "rk_live_51abc"])
def test_production_refuses_stripe_keys_without_a_webhook_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, key: str
) -> None:
    monkeypatch.setenv("SHOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("STRIPE_SECRET_KEY", key)
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET", raising=False)
    with pytest.raises(ConfigError, match="STRIPE_WEBHOOK_SECRET is not set"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_abc")
    assert load_config(str(tmp_path))["STRIPE_WEBHOOK_SECRET"] == "whsec_abc"


def test_production_refuses_something_that_is_not_a_stripe_key(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SHOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("STRIPE_SECRET_KEY", "pk_live_51abc")  # the publishable key, by mistake
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_abc")
    with pytest.raises(ConfigError, match="does not look like a Stripe secret key"):
        load_config(str(tmp_path))


def test_the_shop_command_says_what_is_missing_and_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """What an operator sees when starting it: the setting named, and no shop running."""
    import subprocess
    import sys

    env = {
        "PATH": "/usr/bin:/bin",
        "SHOP_ENV": "production",
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        "STRIPE_SECRET_KEY": "sk_live_51abc",
        "SECRET_KEY": "k" * 40,
    }
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "shop", "routes"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode != 0
    assert "STRIPE_WEBHOOK_SECRET is not set" in done.stderr


@pytest.mark.parametrize("profile", ["development", "production"])
@pytest.mark.parametrize(
    ("countries", "message"),
    [
        ("US,UK", r"SHOP_SHIPPING_COUNTRIES has 'UK'.*did you mean GB\?"),
        ("USA", "SHOP_SHIPPING_COUNTRIES has 'USA'"),
        ("US,XX", "SHOP_SHIPPING_COUNTRIES has 'XX'"),
    ],
)
def test_shipping_countries_stripe_refuses_stop_the_start_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, profile: str, countries: str, message: str
) -> None:
    monkeypatch.setenv("SHOP_ENV", profile)
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("SHOP_SHIPPING_COUNTRIES", countries)
    with pytest.raises(ConfigError, match=message):
        load_config(str(tmp_path))


def test_shipping_countries_are_read_as_upper_case_codes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SHOP_SHIPPING_COUNTRIES", " us, gb ,ie")
    assert load_config(str(tmp_path))["SHOP_SHIPPING_COUNTRIES"] == ["US", "GB", "IE"]


@pytest.mark.parametrize("profile", ["development", "production"])
@pytest.mark.parametrize("minutes", ["20", "29", "1441", "2000"])
def test_checkout_minutes_outside_what_stripe_allows_stop_the_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, profile: str, minutes: str
) -> None:
    monkeypatch.setenv("SHOP_ENV", profile)
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setenv("CHECKOUT_SESSION_MINUTES", minutes)
    with pytest.raises(ConfigError, match=r"CHECKOUT_SESSION_MINUTES must be between 30 and 1,440"):
        load_config(str(tmp_path))


@pytest.mark.parametrize("minutes", ["30", "1440"])
def test_checkout_minutes_at_the_limits_are_taken(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, minutes: str
) -> None:
    monkeypatch.setenv("CHECKOUT_SESSION_MINUTES", minutes)
    assert load_config(str(tmp_path))["CHECKOUT_SESSION_MINUTES"] == int(minutes)


def test_the_shipping_country_list_is_stripes() -> None:
    """The shop's copy of the countries equals the enum in Stripe's spec, when it is here."""
    shared = default_shared_dir()
    spec_file = shared / "spec3.checkout-subset.json" if shared else None
    if spec_file is None or not spec_file.exists():
        pytest.skip(
            "Stripe's spec (../shared/stripe or STRIPE_SHARED_DIR) is absent: "
            "the shop's shipping country list was not compared with it"
        )
    spec = json.loads(spec_file.read_text())
    body = spec["paths"]["/v1/checkout/sessions"]["post"]["requestBody"]
    form = body["content"]["application/x-www-form-urlencoded"]["schema"]["properties"]
    countries = form["shipping_address_collection"]["properties"]["allowed_countries"]
    assert set(countries["items"]["enum"]) == STRIPE_SHIPPING_COUNTRIES
