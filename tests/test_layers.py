"""The import contracts `make imports` checks (pyproject's [tool.importlinter]) hold today and
catch each kind of crossing they exist for, inside a function too."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(
    not LINT_IMPORTS.exists(), reason="import-linter is not installed (make install-dev)"
)


def _copy_of_the_code(tmp_path: Path) -> Path:
    """Copy the two packages' Python files and the contracts to a fresh tree."""
    tree = tmp_path / "tree"
    for package in ("shop", "stripe_sandbox"):
        shutil.copytree(
            ROOT / package,
            tree / package,
            ignore=lambda folder, names: [
                n for n in names if not n.endswith(".py") and not (Path(folder) / n).is_dir()
            ],
        )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - the venv's own lint-imports on a copy of our code
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_code_as_it_is_keeps_every_contract(tmp_path: Path) -> None:
    result = _lint(_copy_of_the_code(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("shop/core/money.py", "from shop.catalog.models import Product", "shop.core is the floor"),
        ("shop/core/slugs.py", "from shop.mail import services", "shop.core is the floor"),
        ("shop/orders/views.py", "from shop.cart import services", "orders import neither"),
        ("shop/orders/queries.py", "from shop.links import attribution", "orders import neither"),
        ("shop/orders/models.py", "import shop.editorial.models", "orders import neither"),
        ("shop/orders/services.py", "from shop.checkout import services", "orders import neither"),
        ("shop/catalog/views.py", "import stripe_sandbox.tax", "sandbox and the shop"),
        ("stripe_sandbox/tax.py", "from shop.core.money import Money", "sandbox and the shop"),
        ("shop/cart/views.py", "import stripe", "only shop.payments imports stripe"),
    ],
)
def test_a_crossing_breaks_its_contract_even_inside_a_function(
    tmp_path: Path, module: str, line: str, contract: str
) -> None:
    tree = _copy_of_the_code(tmp_path)
    path = tree / module
    path.write_text(path.read_text() + f"\n\ndef _crossing() -> None:\n    {line}\n")

    result = _lint(tree)

    assert result.returncode == 1, result.stdout
    assert "1 broken" in result.stdout
    broken = result.stdout.split("Broken contracts", 1)[1]
    assert contract in broken
    assert module.removesuffix(".py").replace("/", ".") in broken
