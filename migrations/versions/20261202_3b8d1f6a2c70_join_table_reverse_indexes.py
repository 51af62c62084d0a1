"""reverse indexes on the concern and topic join tables

Revision ID: 3b8d1f6a2c70
Revises: 7a3e5c2b9d41
Create Date: 2026-12-02 17:15:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3b8d1f6a2c70'
down_revision = '7a3e5c2b9d41'
branch_labels = None
depends_on = None


def upgrade():
    # The primary keys lead with the answer or product; a concern's or topic's page, the
    # catalogue's concern filter and a product's suggested answers start from the other side.
    op.create_index('ix_answer_concerns_concern', 'answer_concerns', ['concern_id', 'answer_id'])
    op.create_index('ix_answer_topics_topic', 'answer_topics', ['topic_id', 'answer_id'])
    op.create_index('ix_product_concerns_concern', 'product_concerns', ['concern_id', 'product_id'])


def downgrade():
    op.drop_index('ix_product_concerns_concern', table_name='product_concerns')
    op.drop_index('ix_answer_topics_topic', table_name='answer_topics')
    op.drop_index('ix_answer_concerns_concern', table_name='answer_concerns')
