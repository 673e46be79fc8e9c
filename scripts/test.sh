#!/usr/bin/env bash
# Runs the whole test suite: formatting, lints, the Rust tests (HTTP tests on SQLite and on
# PostgreSQL), then the supertokens-node and supertokens-python scenarios and the SDK release
# matrix (one user journey per old SDK release, tests/sdk/matrix.sh) against a freshly started
# gatehouse on each backend.
#
# PostgreSQL: TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres). When it
# is unreachable the PostgreSQL half is skipped with a loud line, except with CI=true, where
# that is a failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
echo "== cargo test"
cargo test --quiet
cargo build --quiet
postgres_reachable() {
    python3 - "$TEST_DATABASE_URL" <<'PY'
import socket, sys, urllib.parse
url = urllib.parse.urlparse(sys.argv[1])
try:
    socket.create_connection((url.hostname or "127.0.0.1", url.port or 5432), timeout=2).close()
except OSError:
    sys.exit(1)
PY
}

echo "== benchmark harness, smoke mode (checks that every scenario runs without errors)"
cargo run --quiet -p gatehouse-bench -- --smoke --backend sqlite --binary target/debug/gatehouse --out target/bench-smoke-sqlite.json
if postgres_reachable; then
    cargo run --quiet -p gatehouse-bench -- --smoke --backend postgres --postgres "$TEST_DATABASE_URL" \
        --binary target/debug/gatehouse --out target/bench-smoke-postgres.json
fi

echo "== SDK scenarios"

api_key="sdk-test-key-$(date +%s)-0123456789"
scratch="$(mktemp -d)"
server_pid=""
stop_server() {
    if [[ -n "$server_pid" ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid"
        wait "$server_pid"
    fi
    server_pid=""
}
trap 'stop_server; rm -rf "$scratch"' EXIT


# Starts gatehouse with the given extra environment on a free port and waits for /hello.
start_server() {
    local port
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    env -u POSTGRESQL_CONNECTION_URI "$@" API_KEYS="$api_key" PORT="$port" HOST=127.0.0.1 LOG_LEVEL=WARN \
        target/debug/gatehouse >"$scratch/server.log" 2>&1 &
    server_pid=$!
    export GATEHOUSE_URL="http://127.0.0.1:$port" GATEHOUSE_API_KEY="$api_key"
    for _ in $(seq 1 100); do
        if python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1] + '/hello', timeout=1)" "$GATEHOUSE_URL" 2>/dev/null; then
            return 0
        fi
        if ! kill -0 "$server_pid" 2>/dev/null; then
            cat "$scratch/server.log"
            echo "gatehouse exited before it answered"
            return 1
        fi
        sleep 0.1
    done
    echo "gatehouse did not answer /hello within 10 seconds"
    return 1
}

echo "-- on SQLite"
start_server SQLITE_PATH="$scratch/sdk.db"
bash tests/sdk/run.sh
bash tests/sdk/matrix.sh
stop_server

if postgres_reachable; then
    echo "-- on PostgreSQL"
    database="gatehouse_sdk_$(date +%s)_$$"
    psql "$TEST_DATABASE_URL" -qc "CREATE DATABASE $database"
    start_server POSTGRESQL_CONNECTION_URI="${TEST_DATABASE_URL%/*}/$database"
    bash tests/sdk/run.sh
    bash tests/sdk/matrix.sh
    stop_server
    psql "$TEST_DATABASE_URL" -qc "DROP DATABASE $database WITH (FORCE)"
elif [[ "${CI:-}" == "true" ]]; then
    echo "PostgreSQL is not reachable at $TEST_DATABASE_URL and CI=true"
    exit 1
else
    echo "SKIPPED: the SDK scenarios on PostgreSQL (not reachable at $TEST_DATABASE_URL)"
fi
