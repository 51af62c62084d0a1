"""a version counter on variants, so the product page refuses a stale size

Revision ID: 21b9bf068c13
Revises: bcb419709fe2
Create Date: 2026-12-07 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '21b9bf068c13'
down_revision = 'bcb419709fe2'
branch_labels = None
depends_on = None


def upgrade():
    # The product editor saves every size with the product; a size changed elsewhere (the
    # catalogue import) since the page was opened must refuse the save, not be overwritten.
    with op.batch_alter_table('variants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('variants', schema=None) as batch_op:
        batch_op.drop_column('version')
