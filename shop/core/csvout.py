"""Writing CSV exports for the CLI: to a file, or to standard output, always UTF-8."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Iterable
from pathlib import Path

import click

output_option = click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write the CSV to this file instead of standard output.",
)


def write_csv(rows: Iterable[list[str]], output: Path | None) -> int:
    """Write rows (header first) to `output` or stdout; return how many data rows."""
    if output is not None:
        with output.open("w", encoding="utf-8", newline="") as out:
            return _write(rows, out)
    # Always UTF-8, whatever the terminal's locale says.
    stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="", write_through=True)
    try:
        return _write(rows, stdout)
    finally:
        stdout.detach()


def _write(rows: Iterable[list[str]], out: io.TextIOBase | io.TextIOWrapper) -> int:
    writer = csv.writer(out, lineterminator="\n")
    count = -1  # the header is not a data row
    for row in rows:
        writer.writerow(row)
        count += 1
    return max(count, 0)
