#!/bin/sh
# 考核流 backup: one pg_dump in PostgreSQL's custom format (-Fc: compressed, restorable table by
# table with pg_restore). Reads DATABASE_URL (the app's env file); writes
# ${BACKUP_DIR}/kaohe-YYYYMMDD-HHMMSS.dump (or the directory given as $1), removes dumps older
# than KEEP_DAYS days (30), and prints the new file's path.
#
#   set -a; . /etc/kaohe-flow/kaohe-flow.env; set +a; deploy/backup.sh /var/backups/kaohe-flow
#
# Restore with deploy/restore.sh into an empty database, then run `flask --app wsgi verify-audit`.
set -eu

: "${DATABASE_URL:?DATABASE_URL is not set (source the app's env file first)}"
dir="${1:-${BACKUP_DIR:-/var/backups/kaohe-flow}}"
keep="${KEEP_DAYS:-30}"

# SQLAlchemy's postgresql+psycopg://… is libpq's postgresql://…
url=$(printf '%s' "$DATABASE_URL" | sed -E 's|^postgres(ql)?\+[A-Za-z0-9_]+://|postgresql://|')
case "$url" in
    postgresql://*|postgres://*) ;;
    *) echo "backup.sh: DATABASE_URL is not a PostgreSQL URL; the embedded SQLite file is copied, not dumped" >&2; exit 2 ;;
esac

umask 077
mkdir -p "$dir"
file="$dir/kaohe-$(date -u +%Y%m%d-%H%M%S).dump"
# Written under another name first: a dump cut short never looks like a backup.
pg_dump --format=custom --no-owner --no-privileges --file="$file.partial" --dbname="$url"
mv "$file.partial" "$file"
find "$dir" -maxdepth 1 -name 'kaohe-*.dump' -mtime +"$keep" -delete
echo "$file"
