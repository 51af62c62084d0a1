"""Site search: one box over products and the doctor's answers.

`models` holds the index table, `services` keeps it up to date (its docstring explains
how and why), `parser` turns typed text into a safe query, `queries` runs it on SQLite
FTS5 or PostgreSQL full text, `views` serves `GET /search`, `cli` rebuilds the index.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the search page and the `search` commands."""
    from shop.search.cli import search_cli
    from shop.search.views import bp

    app.register_blueprint(bp)
    app.cli.add_command(search_cli)
