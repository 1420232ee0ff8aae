#!/bin/sh
# 考核流 restore: a dump of backup.sh into an EMPTY PostgreSQL database, in one transaction.
#
#   createdb -O kaohe kaohe_restored
#   deploy/restore.sh /var/backups/kaohe-flow/kaohe-20261202-021500.dump postgresql://kaohe@127.0.0.1/kaohe_restored
#   DATABASE_URL=postgresql+psycopg://kaohe@127.0.0.1/kaohe_restored .venv/bin/flask --app wsgi verify-audit
#
# then point DATABASE_URL at it (or rename the databases) and restart kaohe-flow. The target
# defaults to DATABASE_URL; a database that already holds tables is refused, so that a restore
# never mixes with what is there (drop and create it first if that is what you mean).
set -eu

if [ $# -lt 1 ] || [ ! -r "$1" ]; then
    echo "usage: restore.sh DUMP [TARGET_DATABASE_URL]" >&2
    exit 2
fi
dump="$1"
target="${2:-${DATABASE_URL:-}}"
if [ -z "$target" ]; then
    echo "restore.sh: no target database (give it, or set DATABASE_URL)" >&2
    exit 2
fi
url=$(printf '%s' "$target" | sed -E 's|^postgres(ql)?\+[A-Za-z0-9_]+://|postgresql://|')

tables=$(psql --no-psqlrc --tuples-only --no-align --dbname="$url" \
    --command="SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
if [ "$tables" != "0" ]; then
    echo "restore.sh: the target database already has $tables tables; restore into an empty one" >&2
    exit 1
fi
pg_restore --exit-on-error --single-transaction --no-owner --no-privileges --dbname="$url" "$dump"
echo "restored $dump; now run: flask --app wsgi verify-audit (with DATABASE_URL set to the restored database)"
