"""The migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from shop.extensions import db
from shop.search.models import alembic_include_name
from tests.conftest import ThrowawayDatabases, make_app


def _differences() -> list[object]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_name": alembic_include_name}
        )
        return list(compare_metadata(context, db.metadata))


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_upgrade_matches_models_then_downgrade_and_upgrade_again(
    backend: str, databases: ThrowawayDatabases, tmp_path: Path
) -> None:
    app = make_app(databases.new(backend), tmp_path)
    with app.app_context():
        upgrade()
        assert _differences() == []
        model_tables = set(db.metadata.tables)
        assert model_tables <= _tables()

        downgrade(revision="base")
        assert _tables() <= {"alembic_version"}

        upgrade()
        assert _differences() == []
        assert model_tables <= _tables()
        db.engine.dispose()
