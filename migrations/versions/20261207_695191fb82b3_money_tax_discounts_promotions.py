"""money: promotions, and an order's discount, tax and code; a product's tax code

Revision ID: 695191fb82b3
Revises: 21b9bf068c13
Create Date: 2026-12-07 17:51:56.005198

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "695191fb82b3"
down_revision = "21b9bf068c13"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "promotions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("percent_off", sa.Integer(), nullable=True),
        sa.Column("amount_off", sa.Integer(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("min_subtotal", sa.Integer(), nullable=True),
        sa.Column("max_redemptions", sa.Integer(), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("once_per_customer", sa.Boolean(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=True),
        sa.Column("stripe_coupon_id", sa.String(length=255), nullable=True),
        sa.Column("stripe_promotion_code_id", sa.String(length=255), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(percent_off IS NULL) <> (amount_off IS NULL)",
            name=op.f("ck_promotions_one_kind_of_discount"),
        ),
        sa.CheckConstraint(
            "amount_off IS NULL OR amount_off > 0", name=op.f("ck_promotions_amount_off_positive")
        ),
        sa.CheckConstraint(
            "max_redemptions IS NULL OR max_redemptions >= 1",
            name=op.f("ck_promotions_max_redemptions_positive"),
        ),
        sa.CheckConstraint(
            "min_subtotal IS NULL OR min_subtotal >= 0",
            name=op.f("ck_promotions_min_subtotal_not_negative"),
        ),
        sa.CheckConstraint(
            "percent_off IS NULL OR (percent_off >= 1 AND percent_off <= 100)",
            name=op.f("ck_promotions_percent_off_in_range"),
        ),
        sa.ForeignKeyConstraint(
            ["answer_id"],
            ["answers.id"],
            name=op.f("fk_promotions_answer_id_answers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_promotions")),
        sa.UniqueConstraint("code", name=op.f("uq_promotions_code")),
        sa.UniqueConstraint(
            "stripe_promotion_code_id", name=op.f("uq_promotions_stripe_promotion_code_id")
        ),
    )
    with op.batch_alter_table("promotions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_promotions_answer_id"), ["answer_id"], unique=False)

    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("promotion_code", sa.String(length=40), nullable=True))

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("discount", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("tax", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("promotion_code", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("promotion_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_orders_promotion_id"), ["promotion_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_orders_promotion_id_promotions"),
            "promotions",
            ["promotion_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_check_constraint(op.f("ck_orders_discount_not_negative"), "discount >= 0")
        batch_op.create_check_constraint(op.f("ck_orders_tax_not_negative"), "tax >= 0")

    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tax_code", sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("tax_code")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_orders_tax_not_negative"), type_="check")
        batch_op.drop_constraint(op.f("ck_orders_discount_not_negative"), type_="check")
        batch_op.drop_constraint(
            batch_op.f("fk_orders_promotion_id_promotions"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_orders_promotion_id"))
        batch_op.drop_column("promotion_id")
        batch_op.drop_column("promotion_code")
        batch_op.drop_column("tax")
        batch_op.drop_column("discount")

    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.drop_column("promotion_code")

    with op.batch_alter_table("promotions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_promotions_answer_id"))

    op.drop_table("promotions")
