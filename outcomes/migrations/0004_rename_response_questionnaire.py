"""The questionnaire model was called Response: it is Questionnaire now, rows, links and audit trail kept.

The table is renamed (outcomes_response to outcomes_questionnaire); its indexes and constraints keep
their names (see outcomes.models). During `migrate` Django's contenttypes app renames the ContentType
row after RenameModel, so links naming their questionnaire (PatientLink.subject) and audit log entries
still point at it; the step below does the same when it has not run (migrations run by the executor
alone), and renames the model's permissions (add_response to add_questionnaire, ...) so that the role
groups and users holding them keep them. On a new database there is nothing to rename yet: the
permissions and content types are made after `migrate` (post_migrate), under the new name.
"""

from django.conf import settings
from django.db import IntegrityError, migrations, models, transaction

ACTIONS = ("add", "change", "delete", "view")


def rename(apps, schema_editor, old: str, new: str) -> None:
    db = schema_editor.connection.alias
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    User = apps.get_model(settings.AUTH_USER_MODEL)
    content_types = ContentType.objects.using(db).filter(app_label="outcomes")

    stale = content_types.filter(model=old).first()
    if stale is not None and not content_types.filter(model=new).exists():
        stale.model = new
        try:
            with transaction.atomic(using=db):
                stale.save(using=db, update_fields=["model"])
        except IntegrityError:  # (as Django's own rename: a conflict is left to remove_stale_contenttypes)
            pass

    types = content_types.filter(model__in=[old, new])
    permissions = Permission.objects.using(db).filter(content_type__in=types)
    holders = ((Group.permissions.through, "group_id"), (User.user_permissions.through, "user_id"))
    for action in ACTIONS:
        for permission in permissions.filter(codename=f"{action}_{old}"):
            existing = permissions.filter(codename=f"{action}_{new}").first()
            if existing is None:
                permission.codename = f"{action}_{new}"
                if permission.name == f"Can {action} {old}":
                    permission.name = f"Can {action} {new}"
                permission.save(using=db, update_fields=["codename", "name"])
                continue
            # Both names exist (the new one made by a post_migrate before this ran): whoever held the
            # old permission holds the new one, and the old one goes.
            for through, holder in holders:
                ids = through.objects.using(db).filter(permission_id=permission.pk).values_list(holder, flat=True)
                through.objects.using(db).bulk_create(
                    [through(**{holder: pk, "permission_id": existing.pk}) for pk in ids], ignore_conflicts=True
                )
            permission.delete()


def forwards(apps, schema_editor):
    rename(apps, schema_editor, "response", "questionnaire")


def backwards(apps, schema_editor):
    rename(apps, schema_editor, "questionnaire", "response")


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0003_questionnaire_links_name_their_subject"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("clinic", "0005_patientlink_subject"),
        ("contenttypes", "0002_remove_content_type_name"),
        # Treatments' data migrations read the model as Response: they run before it is renamed.
        ("treatments", "0010_plan_outcome_stale"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameModel("Response", "Questionnaire"),
        migrations.AlterField(
            model_name="questionnaire",
            name="patient",
            field=models.ForeignKey(
                on_delete=models.deletion.PROTECT, related_name="questionnaires", to="clinic.patient"
            ),
        ),
        migrations.AlterField(
            model_name="questionnaire",
            name="plan",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=models.deletion.PROTECT,
                related_name="questionnaires",
                to="treatments.treatmentplan",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]
