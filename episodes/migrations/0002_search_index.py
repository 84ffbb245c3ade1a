"""The full-text search index: FTS5 tables and triggers on SQLite, tsvector columns,
GIN indexes and triggers on PostgreSQL (see episodes.search.schema).

Nothing here is in the model state, so makemigrations stays clean on both engines.
"""

from django.db import migrations

from episodes.search.schema import install_index, uninstall_index


class Migration(migrations.Migration):
    dependencies = [
        ("episodes", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(install_index, uninstall_index, elidable=False),
    ]
