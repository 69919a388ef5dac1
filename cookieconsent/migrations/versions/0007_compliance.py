"""Compliance, second pass: controller, per-region lifetimes, jurisdiction acknowledgements, category flags, consent-manager source, withdrawal deadlines.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
