"""`flask --app shop catalog ...`: CSV export and import (in progress)."""

from flask.cli import AppGroup

catalog_cli = AppGroup("catalog", help="Export and import the catalogue as CSV.")
