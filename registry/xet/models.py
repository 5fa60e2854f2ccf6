"""What the CAS knows: stored xorbs (with their chunk index) and files accepted through shards."""

from __future__ import annotations

from django.db import models


class Xorb(models.Model):
    """A verified xorb, stored verbatim at `storage_key`. Never deleted while a XetFile names it
    (clients keep local caches of what they uploaded and reference it again without sending it)."""

    hash = models.CharField(max_length=64, primary_key=True, help_text="Xet hash string.")
    storage_key = models.CharField(max_length=200)
    size = models.BigIntegerField(help_text="Serialized bytes as stored.")
    raw_size = models.BigIntegerField(help_text="Decoded bytes of all its chunks.")
    chunk_count = models.PositiveIntegerField()
    index = models.BinaryField(help_text="Per chunk: header offset, raw size, hash (40 bytes each).")
    times_received = models.PositiveIntegerField(default=1, help_text="Uploads of it, duplicates included.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"xorb {self.hash[:12]}… ({self.chunk_count} chunks)"


class XetFile(models.Model):
    """A file a verified shard described, rebuilt by the server: its sha256 and size are ours.

    Bound to the repository and API token whose Xet write token uploaded the shard: only they may
    commit it by sha256 (knowing a digest must not let anyone link another tenant's file)."""

    file_id = models.CharField(max_length=64, db_index=True, help_text="Xet file hash string.")
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.BigIntegerField()
    terms = models.JSONField(help_text="[[xorb hash, first chunk, end chunk (exclusive), raw bytes], ...]")
    repository = models.ForeignKey("registry.ModelRepository", on_delete=models.CASCADE, related_name="+")
    token = models.ForeignKey("registry.ApiToken", null=True, on_delete=models.SET_NULL, related_name="+")
    xorbs = models.ManyToManyField(Xorb, through="XetFileXorb", related_name="files")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["file_id", "repository", "token"], name="xet_file_once_per_upload"
            )
        ]

    def __str__(self) -> str:
        return f"xet file {self.file_id[:12]}… = sha256 {self.sha256[:12]}…"


class XetFileXorb(models.Model):
    """The xorbs a file is rebuilt from; PROTECT: a referenced xorb cannot be deleted."""

    file = models.ForeignKey(XetFile, on_delete=models.CASCADE)
    xorb = models.ForeignKey(Xorb, on_delete=models.PROTECT)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["file", "xorb"], name="xet_file_xorb_once")]

    def __str__(self) -> str:
        return f"{self.file_id} ← {self.xorb_id}"
