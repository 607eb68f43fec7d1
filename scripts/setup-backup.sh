#!/usr/bin/env bash
# Prepares the machine's PostgreSQL cluster for Kiban's backups
# (`kiban backup create`, docs/operations.md): pgBackRest's configuration
# with the stanza `kiban`, continuous WAL archiving into its repository
# (wal_level, archive_mode, archive_command, archive_timeout through
# ALTER SYSTEM; the cluster is restarted only when archive_mode or
# wal_level changed), and the stanza itself. Idempotent and quiet when
# everything is in place.
#
# Settings (environment): KIBAN_PGBACKREST_CONFIG (default
# /etc/pgbackrest/pgbackrest.conf), KIBAN_PGBACKREST_STANZA (kiban),
# KIBAN_PGBACKREST_REPO (/var/lib/pgbackrest), KIBAN_PG_VERSION (the
# newest cluster under /etc/postgresql), KIBAN_PG_CLUSTER (main),
# KIBAN_PG_PORT (5432).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" -eq 0 ]; then
    sudo=()
    as_postgres=(runuser -u postgres --)
else
    sudo=(sudo)
    as_postgres=(sudo -u postgres)
fi
version=${KIBAN_PG_VERSION:-$(ls /etc/postgresql | sort -n | tail -n 1)}
cluster=${KIBAN_PG_CLUSTER:-main}
config=${KIBAN_PGBACKREST_CONFIG:-/etc/pgbackrest/pgbackrest.conf}
stanza=${KIBAN_PGBACKREST_STANZA:-kiban}
repo=${KIBAN_PGBACKREST_REPO:-/var/lib/pgbackrest}
port=${KIBAN_PG_PORT:-5432}
sql() { psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atqc "$1"; }

if ! command -v pgbackrest >/dev/null; then
    echo "setup-backup: pgbackrest is not installed (scripts/setup.sh installs it)" >&2
    exit 1
fi

# pgBackRest's configuration: the repository (two full backups kept) and
# the cluster of the stanza.
wanted="[global]
repo1-path=$repo
repo1-retention-full=2
start-fast=y
compress-type=lz4
log-level-console=warn
log-level-file=info
log-path=/var/log/pgbackrest

[$stanza]
pg1-path=/var/lib/postgresql/$version/$cluster
pg1-port=$port
pg1-socket-path=/var/run/postgresql"
if [ "$(cat "$config" 2>/dev/null || true)" != "$wanted" ]; then
    echo "setup-backup: writing $config" >&2
    "${sudo[@]}" mkdir -p "$(dirname "$config")"
    printf '%s\n' "$wanted" | "${sudo[@]}" tee "$config" >/dev/null
    "${sudo[@]}" chmod 644 "$config"
fi
if [ ! -d "$repo" ]; then
    "${sudo[@]}" install -d -o postgres -g postgres -m 750 "$repo"
fi

# WAL archiving into the stanza.
archive_command="pgbackrest --config=$config --stanza=$stanza archive-push %p"
restart=false
reload=false
if [ "$(sql 'SHOW wal_level')" = minimal ]; then
    echo "setup-backup: wal_level = replica" >&2
    sql "ALTER SYSTEM SET wal_level = 'replica'"
    restart=true
fi
if [ "$(sql 'SHOW archive_mode')" != on ]; then
    echo "setup-backup: archive_mode = on" >&2
    sql "ALTER SYSTEM SET archive_mode = 'on'"
    restart=true
fi
if [ "$(sql 'SHOW archive_command')" != "$archive_command" ]; then
    echo "setup-backup: archive_command = '$archive_command'" >&2
    sql "ALTER SYSTEM SET archive_command = '$archive_command'"
    reload=true
fi
# A WAL segment is archived at the latest a minute after its first
# change, even when it is not full: the archive lags the cluster by at
# most about a minute (the RPO of a lost cluster, docs/operations.md).
if [ "$(sql 'SHOW archive_timeout')" != 1min ]; then
    echo "setup-backup: archive_timeout = 60s" >&2
    sql "ALTER SYSTEM SET archive_timeout = '60s'"
    reload=true
fi
if [ "$restart" = true ]; then
    echo "setup-backup: restarting PostgreSQL $version/$cluster" >&2
    "${sudo[@]}" pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" restart
    for _ in $(seq 1 30); do
        pg_isready -h 127.0.0.1 -p "$port" -q && break
        sleep 1
    done
elif [ "$reload" = true ]; then
    sql 'SELECT pg_reload_conf()' >/dev/null
fi

# The stanza (its repository's directories and info files), checked once
# made: a WAL segment is archived through archive_command.
if ! "${as_postgres[@]}" test -f "$repo/backup/$stanza/backup.info"; then
    echo "setup-backup: creating the pgBackRest stanza $stanza" >&2
    "${as_postgres[@]}" pgbackrest --config="$config" --stanza="$stanza" stanza-create
    "${as_postgres[@]}" pgbackrest --config="$config" --stanza="$stanza" check
fi
