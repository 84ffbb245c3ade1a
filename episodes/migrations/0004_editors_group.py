"""The Editors group: everything needed to edit the archive in the admin, nothing over users or groups.

Permissions are created first (Django otherwise creates them only after all
migrations have run), so this works on a fresh database too.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Editors"
# The archive's content, as editors change it: episodes and their guests (appearances), topics,
# clips, transcript sections and lines, people, speaker aliases and the slug history.
MODELS = ["episode", "appearance", "topic", "clip", "section", "line", "guest", "speakeralias", "slughistory"]
ACTIONS = ["add", "change", "delete", "view"]


def create_editors(apps, schema_editor):
    episodes = apps.get_app_config("episodes")
    # create_permissions skips an app config without a models module, as migration states have.
    episodes.models_module = True
    create_permissions(episodes, apps=apps, verbosity=0, using=schema_editor.connection.alias)
    episodes.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.using(schema_editor.connection.alias).get_or_create(name=GROUP)
    codenames = [f"{action}_{model}" for model in MODELS for action in ACTIONS]
    permissions = Permission.objects.using(schema_editor.connection.alias).filter(
        content_type__app_label="episodes", codename__in=codenames
    )
    group.permissions.add(*permissions)


def remove_editors(apps, schema_editor):
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("episodes", "0003_images_history_edits"),
    ]

    operations = [migrations.RunPython(create_editors, remove_editors, elidable=False)]
