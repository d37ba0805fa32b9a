"""Trigram indexes for `?search=` (ILIKE '%…%') and a GIN index on custom attributes.

PostgreSQL only; the embedded SQLite quick start skips them.
"""

from django.db import migrations

from prm.migration_operations import PostgresOnlyRunSQL


class Migration(migrations.Migration):
    dependencies = [("partners", "0001_initial")]

    operations = [
        PostgresOnlyRunSQL(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm;",
            reverse_sql=migrations.RunSQL.noop,
        ),
        PostgresOnlyRunSQL(
            "CREATE INDEX IF NOT EXISTS partner_name_trgm "
            "ON partners_partner USING gin (upper(name) gin_trgm_ops);"
            "CREATE INDEX IF NOT EXISTS partner_external_id_trgm "
            "ON partners_partner USING gin (upper(external_id) gin_trgm_ops);"
            "CREATE INDEX IF NOT EXISTS partner_attributes_gin "
            "ON partners_partner USING gin (attributes jsonb_path_ops);",
            reverse_sql="DROP INDEX IF EXISTS partner_name_trgm;"
            "DROP INDEX IF EXISTS partner_external_id_trgm;"
            "DROP INDEX IF EXISTS partner_attributes_gin;",
        ),
    ]
