"""A database made by an older CAM: new nullable columns are added, anything else is refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from cam_core.state import schema


def test_an_older_events_table_gains_the_new_columns_and_keeps_its_rows(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    old = sa.create_engine(url)
    with old.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TABLE events (event_id VARCHAR(128) PRIMARY KEY, campaign VARCHAR(64) NOT NULL, "
            "email VARCHAR(320) NOT NULL, kind VARCHAR(16) NOT NULL, day VARCHAR(10) NOT NULL, "
            "occurred_at DATETIME NOT NULL, detail TEXT NOT NULL)"
        )
        conn.exec_driver_sql(
            "INSERT INTO events VALUES ('e1', 'demo', 'ada@acme.example', 'reply', '2026-11-17', "
            "'2026-11-17 10:00:00', '')"
        )
    old.dispose()

    engine = schema.engine_for(url)

    columns = {c["name"] for c in sa.inspect(engine).get_columns("events")}
    assert {"send_key", "step", "source", "payload"} <= columns
    with engine.connect() as conn:
        assert conn.execute(sa.select(schema.events.c.email, schema.events.c.send_key)).all() == [
            ("ada@acme.example", None)
        ]


def test_a_table_missing_a_required_column_is_refused_with_the_way_out(tmp_path):
    url = f"sqlite:///{tmp_path / 'older.db'}"
    old = sa.create_engine(url)
    with old.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE suppression (email VARCHAR(320) PRIMARY KEY)")
    old.dispose()
    with pytest.raises(
        schema.SchemaMismatch, match=r"suppression .* lacks reason, source, suppressed_at.*Move the old database"
    ):
        schema.engine_for(url)
