"""Indexes for the purge: current decisions and webhook deliveries by their event.

A purge finds, for each old event, whether it is still a visitor's current decision
(consent_states.last_event_id), tombstones deliveries by event (webhook_deliveries.event_id), and
deletes events that both tables reference by foreign key. Without these indexes each of those
steps read the whole table per batch: at a million events a purge ran for hours
(bench/scale.py). Building them reads each table once; on a large PostgreSQL database, run the
upgrade in a quiet hour.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 00:30:00.000000

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_consent_states_last_event_id", "consent_states", ["last_event_id"])
    op.create_index("ix_webhook_deliveries_event_id", "webhook_deliveries", ["event_id"])
    if op.get_bind().dialect.name == "sqlite":
        # SQLite plans by statistics it only has after ANALYZE: without them it reads a site's
        # whole log to find one visitor's events. Bounded sampling keeps this quick.
        op.execute("PRAGMA analysis_limit=1000")
        op.execute("ANALYZE")


def downgrade() -> None:
    op.drop_index("ix_webhook_deliveries_event_id", table_name="webhook_deliveries")
    op.drop_index("ix_consent_states_last_event_id", table_name="consent_states")
