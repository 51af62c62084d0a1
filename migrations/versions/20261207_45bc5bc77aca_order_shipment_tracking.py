"""orders: carrier, tracking number, tracking link and time shipped

Revision ID: 45bc5bc77aca
Revises: 5e0c9a41d7b2
Create Date: 2026-12-07 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '45bc5bc77aca'
down_revision = '5e0c9a41d7b2'
branch_labels = None
depends_on = None


def upgrade():
    # All nullable: orders shipped before this kept their tracking only in the timeline.
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carrier', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('tracking_number', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('tracking_url', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('shipped_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('shipped_at')
        batch_op.drop_column('tracking_url')
        batch_op.drop_column('tracking_number')
        batch_op.drop_column('carrier')
