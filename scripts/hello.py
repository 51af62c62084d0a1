"""The baseline for `make bench`: Flask's hello world, served under the shop's gunicorn flags.

.venv/bin/gunicorn --no-control-socket --workers=2 --pythonpath scripts 'hello:app'
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    """The smallest page Flask can serve."""
    return "Hello, World!"
