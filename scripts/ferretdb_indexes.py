"""GIN indexes for FerretDB on PostgreSQL, so that its equality filters read an index, not the table.

FerretDB v1 pushes `{field: value}` down to PostgreSQL as `_jsonb->'field' @> '"value"'` but
creates its indexes as btree expression indexes, which `@>` cannot use: every filtered query,
even one document by `_id`, scans the whole table (48 ms among 200,000 documents, `bench/`).
A GIN `jsonb_path_ops` index on the same expression serves `@>`, arrays included (0.7 ms); the
server must also plan each statement with its values (`plan_cache_mode=force_custom_plan`),
since FerretDB passes the field name as a parameter.

This adds one GIN index for every field that a FerretDB btree index covers; it is idempotent and
runs after the services have created their indexes (the test stack, `make up`, the benchmarks).
Production runs MongoDB, whose multikey indexes need none of this.

    .venv/bin/python -m scripts.ferretdb_indexes --port 5433
"""

import argparse
import hashlib
import re
import subprocess

# A FerretDB index on one or more top-level fields: `USING btree (((_jsonb -> 'field'::text)), ...)`.
_FIELD = re.compile(r"\(_jsonb -> '([^']+)'::text\)")
_LIST = """
    SELECT schemaname, tablename, indexdef FROM pg_indexes
    WHERE indexdef LIKE '%USING btree%_jsonb -> %' AND schemaname NOT IN ('pg_catalog', 'information_schema')
"""


def gin_statements(indexes: list[tuple[str, str, str]]) -> list[str]:
    """The CREATE INDEX statements for (schema, table, btree index definition) rows; one per field."""
    fields: dict[tuple[str, str], set[str]] = {}
    for schema, table, definition in indexes:
        if table.startswith("_ferretdb_"):
            continue
        fields.setdefault((schema, table), set()).update(_FIELD.findall(definition))
    statements = []
    for (schema, table), names in sorted(fields.items()):
        for field in sorted(names):
            digest = hashlib.sha256(f"{schema}.{table}.{field}".encode()).hexdigest()[:12]
            name = f"hub_gin_{digest}"
            statements.append(
                f'CREATE INDEX IF NOT EXISTS "{name}" ON "{schema}"."{table}" '
                f"USING gin ((_jsonb -> '{field}') jsonb_path_ops)"
            )
    return statements


def _psql(port: int, host: str, sql: str) -> str:
    command = ["psql", "-h", host, "-p", str(port), "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1"]
    done = subprocess.run([*command, "-AtF", "\t", "-c", sql], capture_output=True, text=True, check=True)
    return done.stdout


def apply(port: int, host: str = "127.0.0.1") -> int:
    """Create the missing GIN indexes; returns how many statements ran."""
    rows = [tuple(line.split("\t", 2)) for line in _psql(port, host, _LIST).splitlines() if line.count("\t") >= 2]
    statements = gin_statements([(r[0], r[1], r[2]) for r in rows])
    for statement in statements:
        _psql(port, host, statement)
    return len(statements)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=5433)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args()
    print(f"{apply(args.port, args.host)} GIN indexes ensured")


if __name__ == "__main__":
    main()
