"""The money path runs live: see `tests/fixtures_live.py` (`live_shop`, `shopper`)."""
