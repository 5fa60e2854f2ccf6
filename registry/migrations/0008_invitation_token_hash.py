"""Invitations keep only the sha256 of their token (the token is in the e-mailed link)."""

import hashlib

from django.db import migrations, models


def hash_tokens(apps, schema_editor):
    Invitation = apps.get_model("registry", "Invitation")
    for invitation in Invitation.objects.all().only("pk", "token"):
        invitation.token_hash = hashlib.sha256(invitation.token.encode()).hexdigest()
        invitation.save(update_fields=["token_hash"])


class Migration(migrations.Migration):
    dependencies = [("registry", "0007_model_families_and_external_listings")]

    operations = [
        migrations.AddField(
            model_name="invitation", name="token_hash", field=models.CharField(max_length=64, null=True)
        ),
        # Links already sent keep working: their tokens are hashed, not dropped.
        migrations.RunPython(hash_tokens, migrations.RunPython.noop),
        migrations.RemoveField(model_name="invitation", name="token"),
        migrations.AlterField(
            model_name="invitation", name="token_hash", field=models.CharField(max_length=64, unique=True)
        ),
    ]
