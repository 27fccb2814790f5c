"""events: one table of every event, unique per (source_id, seq), indexed for time ranges per camera and site

Revision ID: events_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "events_0001"
down_revision = None
branch_labels = ("events",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True),
        sa.Column("source_id", sa.String(500), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("time", sa.DateTime, nullable=False),
        sa.Column("camera", sa.String(200), nullable=False),
        sa.Column("site", sa.String(200), nullable=False),
        sa.Column("pipeline", sa.String(200), nullable=False),
        sa.Column("pipeline_version", sa.String(50), nullable=False),
        sa.Column("node", sa.String(200), nullable=False),
        sa.Column("type", sa.String(50), nullable=False),
        sa.Column("class_name", sa.String(100), nullable=False),
        sa.Column("track_id", sa.Integer, nullable=True),
        sa.Column("region", sa.String(200), nullable=False),
        sa.Column("direction", sa.String(20), nullable=False),
        sa.Column("value", sa.Float, nullable=True),
        sa.Column("confidence", sa.Float, nullable=True),
        sa.Column("frame", sa.Integer, nullable=False),
        sa.Column("pts", sa.Float, nullable=False),
        sa.Column("snapshot", sa.String(1000), nullable=False),
        sa.Column("attributes", sa.JSON, nullable=False),
        sa.UniqueConstraint("source_id", "seq", name="uq_events_source_seq"),
    )
    op.create_index("ix_events_camera_time", "events", ["camera", "time"])  # one camera, one day
    op.create_index("ix_events_site_time", "events", ["site", "time"])
    op.create_index("ix_events_time", "events", ["time"])  # every camera over a time range, counts per hour


def downgrade() -> None:
    op.drop_table("events")
