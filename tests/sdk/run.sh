#!/usr/bin/env bash
# SDK conformance harness: runs the official SuperTokens SDKs (Node, Python)
# against an already-running gatehouse.
#
#   GATEHOUSE_URL=http://127.0.0.1:3567 GATEHOUSE_API_KEY=<key> bash tests/sdk/run.sh
#
# Installs the SDKs on first use (and again when the pinned versions change),
# then runs every scenario. Exits non-zero if any scenario fails.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

: "${GATEHOUSE_URL:?GATEHOUSE_URL must be set, e.g. http://127.0.0.1:3567}"
: "${GATEHOUSE_API_KEY:?GATEHOUSE_API_KEY must be set to the key gatehouse was started with}"
export GATEHOUSE_URL GATEHOUSE_API_KEY

# --- install (idempotent) --------------------------------------------------
node_dir="$here/node"
if [[ ! -f "$node_dir/node_modules/.package-lock.json" \
   || "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" \
   || "$node_dir/package.json" -nt "$node_dir/node_modules/.package-lock.json" ]]; then
    echo "sdk: installing node dependencies (npm ci)"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

py_dir="$here/python"
venv="$py_dir/.venv"
stamp="$venv/.requirements.sha256"
want="$(sha256sum "$py_dir/requirements.txt" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" ]]; then
    echo "sdk: creating python venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
fi
if [[ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ]]; then
    echo "sdk: installing python requirements"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$py_dir/requirements.txt"
    echo "$want" > "$stamp"
fi

# --- run -------------------------------------------------------------------
echo "sdk: running against $GATEHOUSE_URL"
status=0

echo "=== supertokens-node ==="
# One process per file (the SDK's config is process-wide); files run one at a
# time so scenarios never race each other on server state.
(cd "$node_dir" && node --test --test-concurrency=1 scenarios/) || status=1

echo "=== supertokens-python ==="
(cd "$py_dir" && "$venv/bin/python" -m pytest) || status=1

# pytest's summary stays the last line, so the result is read from it.
[[ $status -eq 0 ]] || echo "sdk: FAILED (see above)"
exit $status
