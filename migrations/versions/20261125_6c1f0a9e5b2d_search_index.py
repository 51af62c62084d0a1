"""search index

Revision ID: 6c1f0a9e5b2d
Revises: 26d6d03bbe1a
Create Date: 2026-11-25 09:12:40.000000

Written by hand: autogenerate sees only `search_documents`. On SQLite an FTS5 table
(external content over search_documents) and three triggers that keep it in step; on
PostgreSQL a stored generated tsvector column with a GIN index. The SQL is spelled out
here rather than imported from the app, so this revision stays what it was.

The index starts empty: run `flask --app shop search reindex` after upgrading.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6c1f0a9e5b2d'
down_revision = '26d6d03bbe1a'
branch_labels = None
depends_on = None

SQLITE_UPGRADE = (
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "title, keywords, body, content='search_documents', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2', prefix='2 3')",
    "CREATE TRIGGER search_documents_ai AFTER INSERT ON search_documents BEGIN "
    "INSERT INTO search_fts(rowid, title, keywords, body) "
    "VALUES (new.id, new.title, new.keywords, new.body); END",
    "CREATE TRIGGER search_documents_ad AFTER DELETE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, keywords, body) "
    "VALUES ('delete', old.id, old.title, old.keywords, old.body); END",
    "CREATE TRIGGER search_documents_au AFTER UPDATE ON search_documents BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, title, keywords, body) "
    "VALUES ('delete', old.id, old.title, old.keywords, old.body); "
    "INSERT INTO search_fts(rowid, title, keywords, body) "
    "VALUES (new.id, new.title, new.keywords, new.body); END",
)
SQLITE_DOWNGRADE = (
    "DROP TRIGGER IF EXISTS search_documents_au",
    "DROP TRIGGER IF EXISTS search_documents_ad",
    "DROP TRIGGER IF EXISTS search_documents_ai",
    "DROP TABLE IF EXISTS search_fts",
)
POSTGRES_UPGRADE = (
    "ALTER TABLE search_documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(title, ''), '<>', '  ')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(keywords, ''), '<>', '  ')), 'B') || "
    "setweight(to_tsvector('english'::regconfig, translate(coalesce(body, ''), '<>', '  ')), 'D')) STORED",
    "CREATE INDEX ix_search_documents_search_vector ON search_documents "
    "USING gin (search_vector)",
)
POSTGRES_DOWNGRADE = (
    "DROP INDEX IF EXISTS ix_search_documents_search_vector",
)


def upgrade():
    op.create_table('search_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('answer_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('keywords', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.CheckConstraint('(product_id IS NULL) <> (answer_id IS NULL)', name=op.f('ck_search_documents_one_subject')),
    sa.ForeignKeyConstraint(['answer_id'], ['answers.id'], name=op.f('fk_search_documents_answer_id_answers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_search_documents_product_id_products'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_search_documents')),
    sa.UniqueConstraint('answer_id', name=op.f('uq_search_documents_answer_id')),
    sa.UniqueConstraint('product_id', name=op.f('uq_search_documents_product_id'))
    )
    dialect = op.get_context().dialect.name  # works offline (--sql) too
    statements = {"sqlite": SQLITE_UPGRADE, "postgresql": POSTGRES_UPGRADE}.get(dialect, ())
    for statement in statements:
        op.execute(statement)


def downgrade():
    dialect = op.get_context().dialect.name  # works offline (--sql) too
    statements = {"sqlite": SQLITE_DOWNGRADE, "postgresql": POSTGRES_DOWNGRADE}.get(dialect, ())
    for statement in statements:
        op.execute(statement)
    op.drop_table('search_documents')
