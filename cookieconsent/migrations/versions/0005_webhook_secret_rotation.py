"""Webhook secrets in the Standard Webhooks form, rotation, and deliveries without an event.

Each existing secret becomes ``whsec_`` and the base64 of the bytes it signed with, so the
signing key stays the same: a receiver turns the secret it holds into the new form with
``"whsec_" + base64.b64encode(secret.encode()).decode()``. The previous secret and its expiry
let deliveries carry two signatures after a rotation. An erasure's delivery names no event.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 10:00:00.000000

"""
import base64
import binascii

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

PREFIX = 'whsec_'
endpoints = sa.table('webhook_endpoints', sa.column('id', sa.Integer()), sa.column('secret', sa.String()))


def _rewrite_secrets(convert):
    connection = op.get_bind()
    for endpoint_id, secret in connection.execute(sa.select(endpoints.c.id, endpoints.c.secret)).all():
        converted = convert(secret)
        if converted != secret:
            connection.execute(endpoints.update().where(endpoints.c.id == endpoint_id).values(secret=converted))


def _to_standard(secret):
    if secret.startswith(PREFIX):
        return secret
    return PREFIX + base64.b64encode(secret.encode('utf-8')).decode('ascii')


def _to_legacy(secret):
    # Secrets made after the upgrade are random bytes that the old code cannot use as text:
    # they stay as they are (and sign differently there); converted ones get their text back.
    if not secret.startswith(PREFIX):
        return secret
    try:
        return base64.b64decode(secret[len(PREFIX):], validate=True).decode('ascii')
    except (binascii.Error, UnicodeDecodeError):
        return secret


def upgrade():
    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('previous_secret', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('previous_secret_expires_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.alter_column('event_id', existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True)

    _rewrite_secrets(_to_standard)


def downgrade():
    _rewrite_secrets(_to_legacy)
    # The old schema has no delivery without an event.
    op.execute("DELETE FROM webhook_deliveries WHERE event_id IS NULL")

    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.alter_column('event_id', existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False)

    with op.batch_alter_table('webhook_endpoints', schema=None) as batch_op:
        batch_op.drop_column('previous_secret_expires_at')
        batch_op.drop_column('previous_secret')
