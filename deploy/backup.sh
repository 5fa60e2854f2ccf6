#!/bin/sh
# Back up the registry: the database first, then the bucket (every blob the dump refers to is then
# in the copy; blobs written in between are harmless extras). deploy/README.md, "Backups".
#   deploy/backup.sh BACKUP_DIR
# Reads the app's settings from the environment: DATABASE_URL, S3_ENDPOINT_URL, S3_BUCKET,
# S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY (S3_REGION, S3_ADDRESSING_STYLE). PostgreSQL needs
# pg_dump of the server's major version or newer; SQLite (the one-machine run) uses dumpdata.
set -eu

dest="${1:?usage: deploy/backup.sh BACKUP_DIR}"
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
: "${DATABASE_URL:?set DATABASE_URL (the registry database)}"
mkdir -p "$dest"

case "$DATABASE_URL" in
  postgres://*|postgresql://*)
    # Custom format: compressed, restorable table by table, with --clean into a used database.
    pg_dump --format=custom --no-owner --no-privileges --file="$dest/database.dump.partial" "$DATABASE_URL"
    mv "$dest/database.dump.partial" "$dest/database.dump"
    ;;
  sqlite://*)
    (cd "$here/.." && "$python" manage.py dumpdata --natural-foreign --natural-primary \
      --exclude contenttypes --exclude auth.permission --exclude sessions --output "$dest/database.json")
    ;;
  *)
    echo "backup.sh: unsupported DATABASE_URL scheme: ${DATABASE_URL%%:*}" >&2
    exit 2
    ;;
esac
echo "database: $(ls "$dest"/database.*)"

"$python" "$here/bucket_sync.py" download "$dest/bucket"
date -u +%Y-%m-%dT%H:%M:%SZ > "$dest/COMPLETED"
echo "backup complete: $dest"
