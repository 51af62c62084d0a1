"""Shop-wide request handling: error pages and uploaded media."""

from __future__ import annotations

from flask import (
    Flask,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    send_from_directory,
)
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.wrappers import Response as BaseResponse

from shop.core.storage import (
    MEDIA_MAX_AGE,
    InvalidKey,
    LocalStorage,
    MissingMedia,
    Storage,
    StorageError,
    media_storage,
)
from shop.extensions import db

ERROR_TITLES = {
    400: "That request did not make sense",
    403: "You cannot open this page",
    404: "Page not found",
    405: "That action is not allowed here",
    413: "That upload is too large",
    429: "Too many requests",
    500: "Something went wrong on our side",
    503: "The shop is briefly unavailable",
}

# Media types we are willing to serve from the uploads folder; anything else is a download.
MEDIA_TYPES = {
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}


def render_error(code: int, message: str | None = None) -> tuple[str, int]:
    """Render the friendly error page for an HTTP status."""
    title = ERROR_TITLES.get(code, "Something went wrong")
    # error_page keeps the layout from querying the database, which may be what failed.
    page = render_template(
        "errors/error.html", code=code, title=title, message=message, error_page=True
    )
    return page, code


def media(filename: str) -> Response | BaseResponse:
    """Serve an uploaded or generated image from the media storage with a safe content type.

    Local files are sent from MEDIA_ROOT; a bucket's are redirected to MEDIA_URL when it is
    set, and otherwise streamed from the bucket.
    """
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    mimetype = MEDIA_TYPES.get(suffix)
    if mimetype is None:
        return Response("Not found", status=404)
    storage = media_storage()
    if isinstance(storage, LocalStorage):
        response = send_from_directory(
            storage.root, filename, mimetype=mimetype, max_age=MEDIA_MAX_AGE
        )
    else:
        try:
            public = storage.public_url(filename)
        except InvalidKey:
            return Response("Not found", status=404)
        if public:
            # Pages link here with url_for('media'); the files themselves live elsewhere.
            moved = redirect(public, code=302)
            moved.cache_control.public = True
            moved.cache_control.max_age = MEDIA_MAX_AGE
            return moved
        response = _streamed(storage, filename, mimetype)
    # SVG can carry script; a sandboxing policy keeps it inert even when opened directly.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    )
    return response


def _streamed(storage: Storage, key: str, mimetype: str) -> Response:
    """The stored object as a response, its bytes passed on as they arrive."""
    try:
        found = storage.open(key)
    except MissingMedia:
        return Response("Not found", status=404)
    except StorageError:
        current_app.logger.exception("Media file %s not read from %s", key, storage)
        return Response("The image store is not answering", status=503)
    response = Response(found.chunks(), mimetype=mimetype, direct_passthrough=True)
    response.call_on_close(found.close)
    if found.size is not None:
        response.content_length = found.size
    if found.etag:
        response.set_etag(found.etag)
    if found.last_modified:
        response.last_modified = found.last_modified
    response.cache_control.public = True
    response.cache_control.max_age = MEDIA_MAX_AGE
    response.make_conditional(request)
    return response


def register_web(app: Flask) -> None:
    """Install error handlers and the media route."""
    app.add_url_rule("/media/<path:filename>", endpoint="media", view_func=media)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int] | HTTPException:
        if exc.code is None or exc.code < 400:
            return exc
        description = exc.description if exc.code != 500 else None
        if isinstance(exc, CSRFError):
            description = (
                "This form expired or was sent from elsewhere. Go back, reload and try again."
            )
        elif exc.code == 429:
            # Flask-Limiter describes the limit ("10 per 1 hour"); readers need what to do.
            description = (
                "You have sent several requests in a short time. Please wait a while and try "
                "again; anything you already sent has been received."
            )
        # Werkzeug's stock descriptions talk to developers; keep ours and replace theirs.
        if description and type(exc).description == description:
            description = None
        return render_error(exc.code, description)

    @app.errorhandler(InternalServerError)
    def server_error(exc: InternalServerError) -> tuple[str, int]:
        # The unit of work failed; undo it so the next request starts clean.
        # Flask has already logged the traceback to stderr; the visitor sees none of it.
        db.session.rollback()
        return render_error(500)
