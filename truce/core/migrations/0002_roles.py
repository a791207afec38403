"""Seed the fixed role vocabulary."""

from django.db import migrations

ROLES = [
    "administrator",
    "duty_officer",
    "op_operator",
    "analyst",
    "liaison_officer",
    "agency_staff",
    "viewer",
]


def add_roles(apps, schema_editor):
    Role = apps.get_model("core", "Role")
    for code in ROLES:
        Role.objects.get_or_create(code=code)


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(add_roles, migrations.RunPython.noop)]
