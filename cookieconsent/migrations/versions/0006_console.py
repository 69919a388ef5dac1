"""The site owners' console: accounts, memberships, invitations, personal tokens, configuration
versions and drafts, banner counts, site design and deletion, and indexes for the consent log.

Existing sites get no owner: `sites owner KEY EMAIL` gives one.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa



# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'users',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=254), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=True),
        sa.Column('session_epoch', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_signed_in_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_users_email', 'users', ['email'], unique=True)
    op.create_table(
        'memberships',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'site_id'),
    )
    op.create_index('ix_memberships_site_id', 'memberships', ['site_id'])
    op.create_table(
        'invitations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('role', sa.String(length=8), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('accepted_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['accepted_by'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_invitations_site_id', 'invitations', ['site_id'])
    op.create_table(
        'personal_tokens',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    op.create_index('ix_personal_tokens_user_id', 'personal_tokens', ['user_id'])
    op.create_table(
        'config_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('author_kind', sa.String(length=16), nullable=False),
        sa.Column('author_user_id', sa.Integer(), nullable=True),
        sa.Column('author_label', sa.String(length=254), nullable=True),
        sa.Column('note', sa.String(length=500), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['author_user_id'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('site_id', 'number'),
    )
    op.create_index('ix_config_versions_site_id', 'config_versions', ['site_id'])
    op.create_table(
        'config_drafts',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('content', sa.JSON(), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['updated_by'], ['users.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('site_id'),
    )
    op.create_table(
        'banner_counts',
        sa.Column('site_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('region', sa.String(length=16), nullable=False),
        sa.Column('language', sa.String(length=16), nullable=False),
        sa.Column('shown', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['site_id'], ['sites.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('site_id', 'day', 'region', 'language'),
    )
    with op.batch_alter_table('sites') as batch:
        batch.add_column(sa.Column('design', sa.JSON(), nullable=False, server_default='{}'))
        batch.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('last_seen_origin', sa.String(length=255), nullable=True))
        batch.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))
    # The consent log: a site's events newest first, and by time.
    op.create_index('ix_consent_events_site_id_id', 'consent_events', ['site_id', 'id'])
    op.create_index(
        'ix_consent_events_site_id_created_at', 'consent_events', ['site_id', 'created_at']
    )
    # Log searches by action or region, newest first.
    op.create_index(
        'ix_consent_events_site_action_created_at',
        'consent_events',
        ['site_id', 'action', 'created_at'],
    )
    op.create_index(
        'ix_consent_events_site_region_created_at',
        'consent_events',
        ['site_id', 'region', 'created_at'],
    )
    op.create_index(
        'ix_consent_events_site_source_created_at',
        'consent_events',
        ['site_id', 'source', 'created_at'],
        postgresql_where=sa.text("source <> 'banner'"),
        sqlite_where=sa.text("source <> 'banner'"),
    )
    # Statistics group events by their UTC day: without statistics on that expression
    # PostgreSQL guesses a group per event and sorts them all (spilling to disk) instead of
    # hashing a few thousand groups. SQLite has no such planner statistics.
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE STATISTICS IF NOT EXISTS st_consent_events_utc_day "
            "ON ((timezone('UTC', created_at))::date) FROM consent_events"
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP STATISTICS IF EXISTS st_consent_events_utc_day")
    op.drop_index('ix_consent_events_site_source_created_at', table_name='consent_events')
    op.drop_index('ix_consent_events_site_region_created_at', table_name='consent_events')
    op.drop_index('ix_consent_events_site_action_created_at', table_name='consent_events')
    op.drop_index('ix_consent_events_site_id_created_at', table_name='consent_events')
    op.drop_index('ix_consent_events_site_id_id', table_name='consent_events')
    with op.batch_alter_table('sites') as batch:
        batch.drop_column('deleted_at')
        batch.drop_column('last_seen_origin')
        batch.drop_column('last_seen_at')
        batch.drop_column('design')
    op.drop_table('banner_counts')
    op.drop_table('config_drafts')
    op.drop_index('ix_config_versions_site_id', table_name='config_versions')
    op.drop_table('config_versions')
    op.drop_index('ix_personal_tokens_user_id', table_name='personal_tokens')
    op.drop_table('personal_tokens')
    op.drop_index('ix_invitations_site_id', table_name='invitations')
    op.drop_table('invitations')
    op.drop_index('ix_memberships_site_id', table_name='memberships')
    op.drop_table('memberships')
    op.drop_index('ix_users_email', table_name='users')
    op.drop_table('users')
