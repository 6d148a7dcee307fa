"""Every asset in the UI says who answers for it and which revision of its code made it."""

from __future__ import annotations

import sqlalchemy as sa

from cam_dagster.definitions import defs
from cam_dagster.tables import schema_version


def test_every_asset_has_an_owner_and_a_code_version():
    specs = list(defs.resolve_all_asset_specs())
    assert len(specs) >= 15  # the nine stages and the six tables
    unowned = [s.key.to_user_string() for s in specs if not s.owners]
    unversioned = [s.key.to_user_string() for s in specs if not s.code_version]
    assert unowned == [] and unversioned == []


def test_a_tables_code_version_changes_with_its_columns_and_only_then():
    def table(*extra: sa.Column) -> sa.Table:
        return sa.Table("t", sa.MetaData(), sa.Column("email", sa.Text, primary_key=True), *extra)

    assert schema_version(table()) == schema_version(table())
    assert schema_version(table()) != schema_version(table(sa.Column("tier", sa.Text)))
    assert schema_version(table(sa.Column("n", sa.Integer))) != schema_version(table(sa.Column("n", sa.Text)))
