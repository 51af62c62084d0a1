"""installation row with a random prefix for Stripe idempotency keys

Revision ID: 5e0c9a41d7b2
Revises: 1cad57eb512e
Create Date: 2026-12-07 14:45:00.000000

"""
import secrets
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '5e0c9a41d7b2'
down_revision = '1cad57eb512e'
branch_labels = None
depends_on = None


def upgrade():
    installation = op.create_table(
        'installation',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('idempotency_prefix', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_installation_one_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_installation')),
    )
    # Each database its own prefix, so two sharing one Stripe account never repeat a key.
    op.bulk_insert(
        installation,
        [
            {
                'id': 1,
                'idempotency_prefix': secrets.token_hex(8),
                'created_at': datetime.now(timezone.utc),
            }
        ],
    )


def downgrade():
    op.drop_table('installation')
