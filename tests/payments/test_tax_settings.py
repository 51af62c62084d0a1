"""SHOP_AUTOMATIC_TAX and SHOP_DEFAULT_TAX_CODE: off and txcd_99999999 unless set; a bad value
stops the shop at start-up, naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from shop.config import load_config
from shop.core.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SHOP_ENV", "SHOP_AUTOMATIC_TAX", "SHOP_DEFAULT_TAX_CODE"):
        monkeypatch.delenv(name, raising=False)


def test_tax_is_off_with_the_general_tax_code_by_default(tmp_path: Path) -> None:
    config = load_config(str(tmp_path))
    assert config["SHOP_AUTOMATIC_TAX"] is False
    assert config["SHOP_DEFAULT_TAX_CODE"] == "txcd_99999999"


@pytest.mark.parametrize(("raw", "on"), [("1", True), ("true", True), ("0", False), ("", False)])
def test_automatic_tax_is_switched_on_by_1_or_true(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, raw: str, on: bool
) -> None:
    monkeypatch.setenv("SHOP_AUTOMATIC_TAX", raw)
    monkeypatch.setenv("SHOP_DEFAULT_TAX_CODE", "txcd_30011000")
    config = load_config(str(tmp_path))
    assert config["SHOP_AUTOMATIC_TAX"] is on
    assert config["SHOP_DEFAULT_TAX_CODE"] == "txcd_30011000"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SHOP_AUTOMATIC_TAX", "maybe", "SHOP_AUTOMATIC_TAX must be true or false"),
        ("SHOP_DEFAULT_TAX_CODE", "99999999", "SHOP_DEFAULT_TAX_CODE must be a Stripe product"),
        ("SHOP_DEFAULT_TAX_CODE", "txcd_9999", "got 'txcd_9999'"),
    ],
)
def test_a_bad_tax_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=message):
        load_config(str(tmp_path))
