# Sourced by .ci/run (as root, Debian): installs Debian's PostgreSQL when it is missing, starts
# it, makes a user and a database for tabtune's tests, and exports the URL the shared-checkpoint
# test uses (test/postgres-checkpointer.test.ts). TABTUNE_REQUIRE_POSTGRES=1 makes that test
# fail, not skip, when the database cannot be reached.
export DEBIAN_FRONTEND=noninteractive
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
pg_version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
# The package makes the "main" cluster; a container that skipped that gets one now.
[ -n "$(pg_lsclusters -h | awk -v v="$pg_version" '$1 == v && $2 == "main"')" ] || pg_createcluster "$pg_version" main >/dev/null
pg_ctlcluster "$pg_version" main status >/dev/null 2>&1 || pg_ctlcluster "$pg_version" main start
pg_port=$(pg_lsclusters -h | awk -v v="$pg_version" '$1 == v && $2 == "main" { print $3 }')
(cd / && runuser -u postgres -- psql -q -v ON_ERROR_STOP=1 -p "$pg_port" <<'SQL'
SELECT 'CREATE ROLE tabtune LOGIN PASSWORD ''tabtune-ci''' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tabtune')\gexec
SELECT 'CREATE DATABASE tabtune OWNER tabtune' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'tabtune')\gexec
SQL
)
export TABTUNE_TEST_POSTGRES_URL="postgres://tabtune:tabtune-ci@127.0.0.1:${pg_port}/tabtune"
export TABTUNE_REQUIRE_POSTGRES=1
echo "PostgreSQL $pg_version on port $pg_port: TABTUNE_TEST_POSTGRES_URL=postgres://tabtune:…@127.0.0.1:${pg_port}/tabtune"
