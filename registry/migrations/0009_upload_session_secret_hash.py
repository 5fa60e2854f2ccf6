"""Upload sessions keep only the sha256 of their completion secret (the secret is in the URL the
LFS batch gave the client); portal sessions, which never used theirs, keep none."""

import hashlib

from django.db import migrations, models


def hash_secrets(apps, schema_editor):
    UploadSession = apps.get_model("registry", "UploadSession")
    # Hub uploads in flight keep working: their completion links' secrets are hashed, not dropped.
    for session in UploadSession.objects.filter(draft__isnull=True).only("pk", "secret"):
        session.secret_hash = hashlib.sha256(session.secret.encode()).hexdigest()
        session.save(update_fields=["secret_hash"])


class Migration(migrations.Migration):
    dependencies = [("registry", "0008_invitation_token_hash")]

    operations = [
        migrations.AddField(
            model_name="uploadsession",
            name="secret_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RunPython(hash_secrets, migrations.RunPython.noop),
        migrations.RemoveField(model_name="uploadsession", name="secret"),
    ]
