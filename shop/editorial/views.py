"""The column's pages: answers index, topics, answer pages, doctors, feed, and "Ask the doctor"."""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from shop.core import pagecache
from shop.core.errors import DomainError
from shop.core.pagecache import Rendered, cached
from shop.core.readonly import read_only_gets
from shop.editorial import queries
from shop.editorial.forms import AnswerIndexForm, AskForm
from shop.editorial.questions import submit_question
from shop.extensions import db, limiter
from shop.links.queries import answer_products
from shop.links.stats import count, stats_buffer
from shop.links.visit import note_answer_seen
from shop.mail.services import deliver_queued_now
from shop.promotions.rules import reader_codes

bp = Blueprint("editorial", __name__)
read_only_gets(bp)  # its GETs only read: they never wait for SQLite's write lock

ANSWERS_PER_PAGE = 12


def _page_number() -> int:
    form = AnswerIndexForm(request.args)
    if not form.validate():
        abort(400, description="The page number must be a whole number from 1 to 10,000.")
    return int(form.page.data or 1)


@bp.get("/answers/")
def answers() -> Response:
    """List published answers, newest first, optionally for one topic (?topic=slug)."""
    return cached(_answers_page)


def _answers_page() -> str:
    topic = None
    topic_slug = request.args.get("topic", "", type=str)
    if topic_slug:
        topic = queries.topic_by_slug(topic_slug[:120])
        if topic is None:
            abort(400, description="There is no topic with that name. Choose one from the list.")
    return _answer_list(topic)


@bp.get("/answers/topics/<slug>")
def topic(slug: str) -> Response:
    """List the answers about one skin concern or editorial topic."""
    return cached(lambda: _topic_page(slug))


def _topic_page(slug: str) -> str:
    found = queries.topic_by_slug(slug)
    if found is None:
        abort(404, description="We could not find that topic.")
    return _answer_list(found)


def _answer_list(topic: queries.TopicRef | None) -> str:
    number = _page_number()
    page = queries.published_answers(page=number, per_page=ANSWERS_PER_PAGE, topic=topic)
    if number > page.pages:
        abort(404, description=f"There is no page {number}; this list has {page.pages}.")
    return render_template(
        "editorial/answers.html",
        page=page,
        topic=topic,
        topics=queries.topics_with_answers(),
    )


@bp.get("/answers/<slug>")
def answer(slug: str) -> BaseResponse:
    """Show one answer: the letter, the doctor's answer, the bottom line, who wrote it, and
    the products it recommends."""
    response, meta = pagecache.serve(lambda: _answer_page(slug))
    answer_id = meta["answer_id"]
    note_answer_seen(answer_id)
    if count(answer_id, "views"):
        # Written after the page has gone out, so counting never slows the reader down.
        response.call_on_close(stats_buffer().flush)
    return response


# Browsers keep a 301 as long as it says; a day, so an address given back later is found again.
MOVED_MAX_AGE = 24 * 60 * 60


def _moved(slug: str) -> BaseResponse:
    """A 301 to the answer's current address, with the query string the visitor came with."""
    target = url_for("editorial.answer", slug=slug)
    if request.query_string:
        target = f"{target}?{request.query_string.decode('latin-1')}"
    response = redirect(target, code=301)
    response.cache_control.max_age = MOVED_MAX_AGE
    return response


def _answer_page(slug: str) -> Rendered:
    found = queries.public_answer(slug)
    if found is None:
        moved_to = queries.moved_answer_slug(slug)
        if moved_to is not None:
            # An old address of a renamed answer: sent on (never stored by the page cache).
            abort(_moved(moved_to))
        abort(404, description="We could not find that answer. It may not be published yet.")
    page = render_template(
        "editorial/answer.html",
        answer=found,
        related=queries.related_answers(found),
        products=answer_products(found.id),
        reader_codes=reader_codes(found.id),
    )
    return Rendered(page, meta={"answer_id": found.id})


@bp.get("/doctors/<slug>")
def doctor(slug: str) -> Response:
    """Show a doctor's profile and their answers."""
    return cached(lambda: _doctor_page(slug))


def _doctor_page(slug: str) -> str:
    found = queries.doctor_by_slug(slug)
    if found is None:
        abort(404, description="We could not find that doctor.")
    number = _page_number()
    page = queries.published_answers(page=number, per_page=ANSWERS_PER_PAGE, doctor_id=found.id)
    if number > page.pages:
        abort(404, description=f"There is no page {number}.")
    return render_template("editorial/doctor.html", doctor=found, page=page)


@bp.get("/answers/feed.xml")
def feed() -> Response:
    """Serve the newest answers as an Atom feed."""
    entries = queries.feed_answers()
    xml = render_template("editorial/feed.xml", entries=entries)
    return Response(xml, mimetype="application/atom+xml")


@bp.route("/ask", methods=["GET", "POST"])
@limiter.limit(lambda: str(current_app.config["ASK_RATE_LIMIT"]), methods=["POST"])
def ask() -> str | BaseResponse:
    """Take a reader's question: stored first, then mail to the reader and to staff."""
    form = AskForm()
    if form.validate_on_submit():
        try:
            submit_question(
                form.name.data, form.email.data, form.question.data, bool(form.consent.data)
            )
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(exc.message)
        else:
            # The question is safe in the database; mail that fails now waits in the outbox.
            deliver_queued_now()
            return redirect(url_for("editorial.ask_thanks"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("editorial/ask.html", form=form), status  # type: ignore[return-value]


@bp.get("/ask/thanks")
def ask_thanks() -> str:
    """Thank the reader and say what happens next."""
    return render_template("editorial/ask_thanks.html")
