"""Staff fixtures live in `tests/fixtures_staff.py` (loaded for every test)."""

from tests.fixtures_staff import PASSWORD

__all__ = ["PASSWORD"]
