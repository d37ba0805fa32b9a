"""Migration operations that only apply on PostgreSQL (the embedded SQLite skips them)."""

from django.db import migrations


class PostgresOnlyRunSQL(migrations.RunSQL):
    """RunSQL for PostgreSQL features (extensions, GIN/trigram indexes); a no-op elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
