"""answer addresses: placeholder slugs for drafts, old slugs that redirect

Revision ID: bcb419709fe2
Revises: 45bc5bc77aca
Create Date: 2026-12-07 14:40:00.000000

"""
import re

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = 'bcb419709fe2'
down_revision = '45bc5bc77aca'
branch_labels = None
depends_on = None

# What "Answer this" gave a draft until now: draft-<question id>-<6 hex digits>.
OLD_PLACEHOLDER = re.compile(r"^draft-[0-9]+-[0-9a-f]{6}$")


def upgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('slug_placeholder', sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    op.create_table(
        'answer_old_slugs',
        sa.Column('slug', sa.String(length=120), nullable=False),
        sa.Column('answer_id', sa.Integer(), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['answer_id'],
            ['answers.id'],
            name=op.f('fk_answer_old_slugs_answer_id_answers'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('slug', name=op.f('pk_answer_old_slugs')),
    )
    with op.batch_alter_table('answer_old_slugs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_answer_old_slugs_answer_id'), ['answer_id'], unique=False)

    # Drafts started with "Answer this" that were never published still carry the old
    # stand-in slug; mark it as one, so publishing makes their address from the headline.
    # Every other slug was set on purpose and stays as it is.
    answers = sa.table(
        'answers',
        sa.column('id', sa.Integer()),
        sa.column('slug', sa.String()),
        sa.column('status', sa.String()),
        sa.column('published_at', sa.DateTime(timezone=True)),
        sa.column('slug_placeholder', sa.Boolean()),
    )
    bind = op.get_bind()
    drafts = bind.execute(
        sa.select(answers.c.id, answers.c.slug).where(
            answers.c.status == 'draft',
            answers.c.published_at.is_(None),
            answers.c.slug.like('draft-%'),
        )
    ).all()
    ids = [row.id for row in drafts if OLD_PLACEHOLDER.match(row.slug)]
    if ids:
        bind.execute(
            sa.update(answers).where(answers.c.id.in_(ids)).values(slug_placeholder=True)
        )


def downgrade():
    with op.batch_alter_table('answer_old_slugs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_old_slugs_answer_id'))

    op.drop_table('answer_old_slugs')
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_column('slug_placeholder')
