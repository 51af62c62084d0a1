"""content version for the page cache

Revision ID: 7a3e5c2b9d41
Revises: dbe91b7cc1dd
Create Date: 2026-12-02 07:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a3e5c2b9d41'
down_revision = 'dbe91b7cc1dd'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('content_versions',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_content_versions'))
    )
    # The one row every public page's cache key starts from.
    op.execute(sa.text(
        'INSERT INTO content_versions (id, version, changed_at) VALUES (1, 1, CURRENT_TIMESTAMP)'
    ))


def downgrade():
    op.drop_table('content_versions')
