"""Idempotency keys for consent writes, the click time of a choice, cookie domain and script timeout.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 18:40:17.319144

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('idempotency_keys',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('request_digest', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_idempotency_keys_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('site_id', 'key', name=op.f('pk_idempotency_keys'))
    )
    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_idempotency_keys_created_at'), ['created_at'], unique=False)

    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chosen_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cookie_domain', sa.String(length=253), nullable=True))
        batch_op.add_column(sa.Column('script_timeout_ms', sa.Integer(), nullable=False, server_default=sa.text('10000')))




def downgrade():
    
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('script_timeout_ms')
        batch_op.drop_column('cookie_domain')

    with op.batch_alter_table('consent_events', schema=None) as batch_op:
        batch_op.drop_column('chosen_at')

    with op.batch_alter_table('idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_idempotency_keys_created_at'))

    op.drop_table('idempotency_keys')

