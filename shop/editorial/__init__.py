"""The doctor's column: doctors, answers, topics, and readers' questions."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the column's pages, what the page cache must know of it, and the mail telling
    readers their question was answered."""
    from shop.editorial.pagecache import register_pagecache
    from shop.editorial.questions import notify_answered_questions
    from shop.editorial.views import bp
    from shop.mail.services import register_mail_producer

    app.register_blueprint(bp)
    register_pagecache(app)
    register_mail_producer(app, notify_answered_questions)
