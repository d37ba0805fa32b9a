"""A trigram index on the accounts' normalised names, for conflict detection by similar name.

PostgreSQL only; the embedded SQLite quick start compares names in Python instead.
"""

from django.db import migrations

from prm.migration_operations import PostgresOnlyRunSQL


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial"), ("partners", "0002_postgres_search_indexes")]

    operations = [
        PostgresOnlyRunSQL(
            "CREATE EXTENSION IF NOT EXISTS pg_trgm;",
            reverse_sql=migrations.RunSQL.noop,
        ),
        PostgresOnlyRunSQL(
            "CREATE INDEX IF NOT EXISTS deal_account_normalized_name_trgm "
            "ON deals_account USING gin (normalized_name gin_trgm_ops);",
            reverse_sql="DROP INDEX IF EXISTS deal_account_normalized_name_trgm;",
        ),
    ]
