#!/bin/sh
# Restore a backup made by backup.sh into the database and bucket named by the environment
# (DATABASE_URL, S3_*; the same names backup.sh reads). Stop web, workers and beat first.
#   deploy/restore.sh BACKUP_DIR
# The database may be empty (a fresh one) or the old one: existing objects are dropped first.
# The bucket is created when missing; objects already there with the same size are kept.
set -eu

src="${1:?usage: deploy/restore.sh BACKUP_DIR}"
here="$(cd "$(dirname "$0")" && pwd)"
python="${PYTHON:-python3}"
: "${DATABASE_URL:?set DATABASE_URL (the database to restore into)}"
if [ ! -f "$src/COMPLETED" ]; then
  echo "restore.sh: $src holds no complete backup (no COMPLETED marker)" >&2
  exit 2
fi

# Bucket first: once the database is back, every blob it names must already be there.
"$python" "$here/bucket_sync.py" upload "$src/bucket"

if [ -f "$src/database.dump" ]; then
  pg_restore --clean --if-exists --no-owner --no-privileges --exit-on-error \
    --dbname="$DATABASE_URL" "$src/database.dump"
elif [ -f "$src/database.json" ]; then
  (cd "$here/.." && "$python" manage.py migrate --noinput && "$python" manage.py loaddata "$src/database.json")
else
  echo "restore.sh: no database.dump or database.json in $src" >&2
  exit 2
fi
echo "restore complete from $src"
