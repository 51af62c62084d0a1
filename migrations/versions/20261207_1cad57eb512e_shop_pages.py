"""the shop's own pages (contact, shipping and returns, privacy, terms, about)

Revision ID: 1cad57eb512e
Revises: 3b8d1f6a2c70
Create Date: 2026-12-07 14:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '1cad57eb512e'
down_revision = '3b8d1f6a2c70'
branch_labels = None
depends_on = None

# The footer links to these on every page, so a fresh install has them at once: titled, with
# an empty text that tells visitors the page is still being written until staff write it in
# the admin (the demo loader writes the demo shop's copy). Written out here, not imported,
# so this migration never changes when the code does (shop/pages/models.py: STANDARD_PAGES).
STANDARD_PAGES = (
    ('contact', 'Contact us'),
    ('shipping-returns', 'Shipping and returns'),
    ('privacy', 'Privacy policy'),
    ('terms', 'Terms of sale'),
    ('about', 'About the doctor'),
)


def upgrade():
    op.create_table('pages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body_markdown', sa.Text(), nullable=False),
    sa.Column('seo_description', sa.String(length=320), nullable=True),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pages')),
    sa.UniqueConstraint('slug', name=op.f('uq_pages_slug'))
    )
    # Timestamps from the database's clock, as the content version's row is made.
    for slug, title in STANDARD_PAGES:
        op.execute(
            sa.text(
                "INSERT INTO pages (slug, title, body_markdown, version, created_at, updated_at)"
                " VALUES (:slug, :title, '', 1, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
            ).bindparams(slug=slug, title=title)
        )


def downgrade():
    op.drop_table('pages')
