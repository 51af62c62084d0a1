"""stock faces: the stock words each product's public pages were last built from

Revision ID: 3f7c2d9e4a10
Revises: 695191fb82b3
Create Date: 2026-12-07 23:20:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "3f7c2d9e4a10"
down_revision = "695191fb82b3"
branch_labels = None
depends_on = None


def upgrade():
    # Empty at first: a product's first stock change stores its words and moves the page
    # cache's version on once (an unknown face never compares equal).
    op.create_table(
        "stock_faces",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("face", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_stock_faces_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_stock_faces")),
    )


def downgrade():
    op.drop_table("stock_faces")
