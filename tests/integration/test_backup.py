"""deploy/backup.sh and deploy/restore.sh, end to end: a published model is backed up (pg_dump +
the bucket), restored into a fresh database and a fresh bucket, and found there intact."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import uuid

import boto3
import psycopg
import pytest
from django.conf import settings
from django.db import connection

from tests.fixtures.s3 import ACCESS_KEY, SECRET_KEY
from tests.fixtures.services import database_url
from tests.integration.helpers import publish

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(120)]

DEPLOY = settings.BASE_DIR / "deploy"


@pytest.fixture
def fresh_database():
    if connection.vendor != "postgresql" or not shutil.which("pg_dump"):
        pytest.skip("needs PostgreSQL and pg_dump/pg_restore")
    name = f"{settings.DATABASES['default']['NAME']}_restore_{uuid.uuid4().hex[:6]}"
    admin = database_url("postgres")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(script: str, folder, **env: str) -> str:
    answer = subprocess.run(
        ["sh", str(DEPLOY / script), str(folder)],
        env={**os.environ, "PYTHON": sys.executable, **env},
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert answer.returncode == 0, answer.stdout + answer.stderr
    return answer.stdout


def test_a_backup_restores_into_a_fresh_database_and_bucket(
    s3_server, model_folder, tmp_path, fresh_database
):
    version = publish(model_folder, "acme/backed-up")
    weights = version.files.get(path="model.safetensors")
    s3_env = {
        "S3_ENDPOINT_URL": s3_server.endpoint,
        "S3_ACCESS_KEY_ID": ACCESS_KEY,
        "S3_SECRET_ACCESS_KEY": SECRET_KEY,
    }
    backup = tmp_path / "backup"
    out = run("backup.sh", backup, DATABASE_URL=database_url(connection.settings_dict["NAME"]),
              S3_BUCKET=settings.S3_BUCKET, **s3_env)  # fmt: skip
    assert "backup complete" in out and (backup / "database.dump").stat().st_size > 0

    bucket = f"restored-{uuid.uuid4().hex[:8]}"
    out = run("restore.sh", backup, DATABASE_URL=database_url(fresh_database), S3_BUCKET=bucket, **s3_env)
    assert "restore complete" in out

    with psycopg.connect(database_url(fresh_database)) as conn:
        row = conn.execute(
            "SELECT v.commit_id, b.storage_key FROM registry_versionfile f "
            "JOIN registry_version v ON v.id = f.version_id "
            "JOIN registry_modelrepository r ON r.id = v.repository_id "
            "JOIN registry_blob b ON b.sha256 = f.blob_id "
            "WHERE r.name = 'backed-up' AND f.path = 'model.safetensors'"
        ).fetchone()
    assert row is not None and row[0] == version.commit_id
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_server.endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
    )
    restored = s3.get_object(Bucket=bucket, Key=row[1])["Body"].read()
    assert hashlib.sha256(restored).hexdigest() == weights.sha256


def test_restore_refuses_an_incomplete_backup(tmp_path):
    answer = subprocess.run(
        ["sh", str(DEPLOY / "restore.sh"), str(tmp_path)],
        env={**os.environ, "DATABASE_URL": "postgres://nowhere/none"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert answer.returncode == 2 and "no complete backup" in answer.stderr
