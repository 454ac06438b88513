"""The GIN indexes added beside FerretDB's btree indexes (scripts/ferretdb_indexes.py)."""

from scripts.ferretdb_indexes import gin_statements


def test_one_gin_index_per_indexed_field_of_each_table() -> None:
    rows = [
        ("hub", "contacts_1a", "CREATE INDEX i1 ON hub.contacts_1a USING btree (((_jsonb -> 'search_keys'::text)))"),
        ("hub", "contacts_1a", "CREATE UNIQUE INDEX i0 ON hub.contacts_1a USING btree (((_jsonb -> '_id'::text)))"),
        (
            "hub",
            "conversations_2b",
            "CREATE INDEX i2 ON hub.conversations_2b USING btree (((_jsonb -> 'location_id'::text)), "
            "((_jsonb -> 'last_activity_at'::text)) DESC)",
        ),
        (
            "hub",
            "conversations_2b",
            "CREATE INDEX i3 ON hub.conversations_2b USING btree (((_jsonb -> 'location_id'::text)))",
        ),
        (
            "hub",
            "_ferretdb_database_metadata",
            "CREATE UNIQUE INDEX m ON hub._ferretdb_database_metadata USING btree (((_jsonb -> '_id'::text)))",
        ),
    ]
    statements = gin_statements(rows)
    fields = [s.split("(_jsonb -> '")[1].split("'")[0] for s in statements]
    assert fields == ["_id", "search_keys", "last_activity_at", "location_id"]
    assert all("USING gin" in s and "jsonb_path_ops" in s and "IF NOT EXISTS" in s for s in statements)
    assert gin_statements(rows) == statements, "the same names each time: running it again adds nothing"
    assert len({s.split('"')[1] for s in statements}) == 4
