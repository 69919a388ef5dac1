"""Jurisdictions, languages, lifetimes, retention; config snapshots and the tamper-evident chain.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 03:19:23.805486

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

GENESIS = "0" * 64


def upgrade():
    
    op.create_table('chain_heads',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('mac', sa.String(length=64), nullable=False),
    sa.Column('checkpoint_sequence', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('checkpoint_mac', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_chain_heads_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('site_id', name=op.f('pk_chain_heads'))
    )
    op.create_table('config_snapshots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_config_snapshots_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_config_snapshots')),
    sa.UniqueConstraint('site_id', 'digest', name=op.f('uq_config_snapshots_site_id_digest'))
    )
    with op.batch_alter_table('config_snapshots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_config_snapshots_site_id'), ['site_id'], unique=False)

    # Every existing site starts its chain empty.
    op.execute(
        "INSERT INTO chain_heads (site_id, sequence, mac, checkpoint_sequence, checkpoint_mac) "
        "SELECT id, 0, '" + GENESIS + "', 0, '" + GENESIS + "' FROM sites"
    )

    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('snapshot_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('region', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('mode', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('sequence', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.add_column(sa.Column('personal_digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('mac', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('key_id', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('purged_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint('uq_consent_events_site_sequence', ['site_id', 'sequence'])
        batch_op.create_foreign_key(batch_op.f('fk_consent_events_snapshot_id_config_snapshots'), 'config_snapshots', ['snapshot_id'], ['id'])

    with op.batch_alter_table('consent_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('region', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('mode', sa.String(length=8), nullable=True))

    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('languages', sa.JSON(), nullable=False, server_default=sa.text("'[\"vi\", \"en\"]'")))
        batch_op.add_column(sa.Column('jurisdiction_rules', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.add_column(sa.Column('refusal_lifetime_days', sa.Integer(), nullable=False, server_default=sa.text('182')))
        batch_op.add_column(sa.Column('retention_days', sa.Integer(), nullable=False, server_default=sa.text('365')))




def downgrade():
    
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('retention_days')
        batch_op.drop_column('refusal_lifetime_days')
        batch_op.drop_column('jurisdiction_rules')
        batch_op.drop_column('languages')

    with op.batch_alter_table('consent_states', schema=None) as batch_op:
        batch_op.drop_column('mode')
        batch_op.drop_column('region')

    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_consent_events_snapshot_id_config_snapshots'), type_='foreignkey')
        batch_op.drop_constraint('uq_consent_events_site_sequence', type_='unique')
        batch_op.drop_column('purged_at')
        batch_op.drop_column('erased_at')
        batch_op.drop_column('key_id')
        batch_op.drop_column('mac')
        batch_op.drop_column('personal_digest')
        batch_op.drop_column('sequence')
        batch_op.drop_column('mode')
        batch_op.drop_column('region')
        batch_op.drop_column('snapshot_id')

    with op.batch_alter_table('config_snapshots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_config_snapshots_site_id'))

    op.drop_table('config_snapshots')
    op.drop_table('chain_heads')

