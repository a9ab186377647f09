# Sourced by `make test`: make sure a PostgreSQL server runs on loopback for the store tests and
# export FAKTURNIK_TEST_PG_URL. Installs Debian's server package when it is missing (CI, fresh
# machines). If nothing can be started, the variable stays unset and postgres tests are reported
# as skipped with the reason.
_pg_setup() {
    local port=55432 dir="${TMPDIR:-/tmp}/fakturnik-pg" bindir
    bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    if [ -z "$bindir" ] && command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        echo "scripts/postgres.sh: installing PostgreSQL server" >&2
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) >&2 || true
        bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    fi
    [ -n "$bindir" ] || { echo "scripts/postgres.sh: no PostgreSQL server available" >&2; return 0; }
    local runas=""
    if [ "$(id -u)" = 0 ]; then runas="runuser -u postgres --"; fi
    if ! $runas "$bindir/pg_isready" -h 127.0.0.1 -p $port -q 2>/dev/null; then
        mkdir -p "$dir" && { [ -z "$runas" ] || chown postgres "$dir"; }
        if [ ! -f "$dir/data/PG_VERSION" ]; then
            $runas "$bindir/initdb" -D "$dir/data" -U postgres -A trust >/dev/null || return 0
        fi
        $runas "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null || return 0
    fi
    export FAKTURNIK_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
}
_pg_setup
