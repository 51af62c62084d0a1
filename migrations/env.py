"""Alembic environment, driven by Flask-Migrate (`flask --app shop db ...`)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from shop.search.models import alembic_include_name

config = context.config
# Keep the app's own loggers alive when Alembic configures logging.
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
config.set_main_option(
    "sqlalchemy.url", target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%")
)


def run_migrations_offline() -> None:
    """Emit SQL for the migrations without connecting (`flask db upgrade --sql`)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_db.metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run the migrations on a live connection."""

    def process_revision_directives(context, revision, directives):  # type: ignore[no-untyped-def]
        # An autogenerate that finds nothing should not write an empty revision.
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    # The search index's engine-specific parts (SQLite FTS5 and its shadow tables, the
    # PostgreSQL tsvector column and its GIN index) are made by hand, outside the models.
    conf_args.setdefault("include_name", alembic_include_name)
    with target_db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
