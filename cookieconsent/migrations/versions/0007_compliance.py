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
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('controller', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('region_lifetimes', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('jurisdiction_acknowledgements', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('processors_involved', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tracks_behaviour', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('statistics_only', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('summaries', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_manager_id', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('consent_manager_artifact_id', sa.String(length=128), nullable=True))
    # Regime names grow beyond 8 characters (opt-in-specific, opt-in-stats-exempt).
    for table in ('consent_events', 'consent_states'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('mode', type_=sa.String(length=24), existing_type=sa.String(length=8), existing_nullable=True)


def downgrade():
    for table in ('consent_events', 'consent_states'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('mode', type_=sa.String(length=8), existing_type=sa.String(length=24), existing_nullable=True)
    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.drop_column('consent_manager_artifact_id')
        batch_op.drop_column('consent_manager_id')
    with op.batch_alter_table('policy_versions', schema=None) as batch_op:
        batch_op.drop_column('summaries')
    with op.batch_alter_table('categories', schema=None) as batch_op:
        batch_op.drop_column('statistics_only')
        batch_op.drop_column('tracks_behaviour')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('processors_involved')
        batch_op.drop_column('jurisdiction_acknowledgements')
        batch_op.drop_column('region_lifetimes')
        batch_op.drop_column('controller')
