"""The search results page."""

from __future__ import annotations

from flask import Blueprint, render_template, request
from flask.blueprints import BlueprintSetupState

from shop.core.readonly import read_only_gets
from shop.search.parser import MAX_QUERY_CHARS
from shop.search.queries import GROUPS, search
from shop.search.services import register_index_events

bp = Blueprint("search", __name__)
read_only_gets(bp)  # its GETs only read: they never wait for SQLite's write lock


@bp.record_once
def _follow_changes(state: BlueprintSetupState) -> None:
    register_index_events()


@bp.get("/search")
def results() -> str:
    """Show what matches ?q= among products and answers (?group= and ?page= for more).

    A search that finds nothing is retried with its misspelt words corrected, unless
    ?exact=1 asks for the words as typed.
    """
    group = request.args.get("group", "", type=str)
    found = search(
        request.args.get("q", "", type=str),
        group=group if group in GROUPS else None,
        page=request.args.get("page", 1, type=int),
        correct=request.args.get("exact", "", type=str) != "1",
    )
    return render_template("search/results.html", results=found, max_chars=MAX_QUERY_CHARS)
