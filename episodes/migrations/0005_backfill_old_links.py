"""Old links for episodes imported before the import recorded them: the stems of each episode's file.

Only the file name matters (``/podcast/<stem>.html``); slug changes made before this
migration were not recorded anywhere, so they cannot be recovered.
"""

from pathlib import PurePath

from django.db import migrations


def file_stems(path):
    # As episodes.old_links.file_stems (copied: a migration must not change when the app does).
    name = PurePath(path).name
    return [stem for stem in dict.fromkeys([PurePath(name).stem, name.split(".", 1)[0]]) if stem]


def record_file_stems(apps, schema_editor):
    Episode = apps.get_model("episodes", "Episode")
    SlugHistory = apps.get_model("episodes", "SlugHistory")
    db = schema_editor.connection.alias
    taken = set(SlugHistory.objects.using(db).values_list("slug", flat=True))
    rows = []
    for pk, source_path in Episode.objects.using(db).exclude(source_path="").values_list("pk", "source_path"):
        for stem in file_stems(source_path):
            if stem not in taken and len(stem) <= 300:
                taken.add(stem)
                rows.append(SlugHistory(episode_id=pk, slug=stem))
    SlugHistory.objects.using(db).bulk_create(rows, batch_size=500)


class Migration(migrations.Migration):

    dependencies = [
        ("episodes", "0004_editors_group"),
    ]

    operations = [
        migrations.RunPython(record_file_stems, migrations.RunPython.noop, elidable=True),
    ]
