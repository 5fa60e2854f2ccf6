# Full-text search over repositories (registry/selectors/listing.py, `search_filter`), PostgreSQL only: a
# stored generated `search_vector` column, GIN-indexed. Django's model does not declare it (SQLite,
# the embedded default, searches by substring), and PostgreSQL computes it on every write, so no
# code maintains it. A precomputed vector matters: with an expression index alone, plans that
# start from another index (industry, downloads) re-run to_tsvector on every candidate row.
#
# Note for later migrations: PostgreSQL refuses to change the type of a column a generated column
# reads (name, description, task, industry, license, tags). Drop `search_vector` first and re-add
# it afterwards with the same expression.

from django.db import migrations

DOCUMENT = (
    "to_tsvector('simple'::regconfig, "
    "translate(name, '-_.', '   ') || ' ' || description || ' ' || task || ' ' || "
    "industry || ' ' || license || ' ' || (tags)::text)"
)


def add_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE registry_modelrepository "
            f"ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS ({DOCUMENT}) STORED"
        )
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS registry_repo_search_gin "
            "ON registry_modelrepository USING gin (search_vector)"
        )


def drop_search_vector(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS registry_repo_search_gin")
        schema_editor.execute("ALTER TABLE registry_modelrepository DROP COLUMN IF EXISTS search_vector")


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(add_search_vector, drop_search_vector),
    ]
