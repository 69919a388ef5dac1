"""Data subject requests and their logged steps.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 20:00:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'data_subject_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('reference', sa.String(length=32), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('law', sa.String(length=8), nullable=False),
        sa.Column('region', sa.String(length=16), nullable=True),
        sa.Column('visitor_id', sa.String(length=64), nullable=True),
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('details', sa.Text(), nullable=True),
        sa.Column('language', sa.String(length=35), nullable=False),
        sa.Column('processors_involved', sa.Boolean(), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('acknowledge_by', sa.DateTime(timezone=True), nullable=False),
        sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('due_by', sa.DateTime(timezone=True), nullable=False),
        sa.Column('extended_to', sa.DateTime(timezone=True), nullable=True),
        sa.Column('extension_reason', sa.String(length=500), nullable=True),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('resolution', sa.Text(), nullable=True),
        sa.Column('flag', sa.String(length=16), nullable=True),
        sa.Column('notified_flag', sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('reference'),
    )
    op.create_index(
        'ix_data_subject_requests_site_received',
        'data_subject_requests',
        ['site_id', 'received_at'],
    )
    op.create_table(
        'request_steps',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=254), nullable=False),
        sa.Column('actor_user_id', sa.Integer(), nullable=True),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ['request_id'], ['data_subject_requests.id'], ondelete='CASCADE'
        ),
        sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_request_steps_request_id', 'request_steps', ['request_id'])


def downgrade():
    op.drop_index('ix_request_steps_request_id', table_name='request_steps')
    op.drop_table('request_steps')
    op.drop_index('ix_data_subject_requests_site_received', table_name='data_subject_requests')
    op.drop_table('data_subject_requests')
