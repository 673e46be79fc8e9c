#!/usr/bin/env bash
# SDK release matrix: one user journey per old SDK release, against an
# already-running gatehouse (see README.md, "Release matrix").
#
#   GATEHOUSE_URL=http://127.0.0.1:3567 GATEHOUSE_API_KEY=<key> bash tests/sdk/matrix.sh
#
# Installs every release on first use (and again when a pin changes): one
# `npm ci` for all Node releases (npm aliases in node/matrix/package.json), one
# venv per Python release (python/.venvs/<release>, from
# python/matrix/requirements/<release>.txt), installed in parallel. Then runs
# the journey once per release, each in its own process, and prints a summary.
# SDK_MATRIX (optional) limits the run, e.g. SDK_MATRIX="node:15 python:0.24".
# SDK_MATRIX_INSTALL_ONLY=1 installs and stops (no gatehouse needed).
# SDK_MATRIX_DUMP=1 prints every core exchange of each journey.
# Exits non-zero if any entry failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

NODE_RELEASES=(15 16 19 21 23 24)
PYTHON_RELEASES=(0.24 0.26 0.29 0.30 0.31)

selected() {
    [[ -z "${SDK_MATRIX:-}" ]] || [[ " $SDK_MATRIX " == *" $1 "* ]]
}

# --- install (idempotent) --------------------------------------------------
install_start=$SECONDS
node_dir="$here/node/matrix"
if [[ ! -f "$node_dir/node_modules/.package-lock.json" \
   || "$node_dir/package-lock.json" -nt "$node_dir/node_modules/.package-lock.json" \
   || "$node_dir/package.json" -nt "$node_dir/node_modules/.package-lock.json" ]]; then
    echo "matrix: installing the node releases (npm ci)"
    (cd "$node_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

py_dir="$here/python/matrix"
venvs="$here/python/.venvs"
mkdir -p "$venvs"
install_venv() {
    local release="$1" venv="$venvs/$1" req="$py_dir/requirements/$1.txt"
    local want
    want="$(sha256sum "$req" | cut -d' ' -f1)"
    if [[ -x "$venv/bin/python" && "$(cat "$venv/.requirements.sha256" 2>/dev/null || true)" == "$want" ]]; then
        return 0
    fi
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-compile -r "$req"
    echo "$want" > "$venv/.requirements.sha256"
}
pids=()
for r in "${PYTHON_RELEASES[@]}"; do
    selected "python:$r" || continue
    install_venv "$r" >"$venvs/install-$r.log" 2>&1 &
    pids+=("$!:$r")
done
for entry in "${pids[@]}"; do
    if ! wait "${entry%%:*}"; then
        cat "$venvs/install-${entry#*:}.log"
        echo "matrix: installing supertokens-python ${entry#*:} failed"
        exit 1
    fi
done
echo "matrix: install done in $((SECONDS - install_start)) s"
[[ "${SDK_MATRIX_INSTALL_ONLY:-}" == "1" ]] && exit 0

# --- run -------------------------------------------------------------------
: "${GATEHOUSE_URL:?GATEHOUSE_URL must be set, e.g. http://127.0.0.1:3567}"
: "${GATEHOUSE_API_KEY:?GATEHOUSE_API_KEY must be set to the key gatehouse was started with}"
export GATEHOUSE_URL GATEHOUSE_API_KEY
echo "matrix: running against $GATEHOUSE_URL"

run_start=$SECONDS
summary=()
status=0
record() {
    local name="$1" rc="$2" took="$3"
    if [[ $rc -eq 0 ]]; then
        summary+=("PASS  $name (${took} s)")
    else
        summary+=("FAIL  $name (${took} s)")
        status=1
    fi
}

for r in "${NODE_RELEASES[@]}"; do
    selected "node:$r" || continue
    echo "=== supertokens-node $r"
    t=$SECONDS rc=0
    (cd "$node_dir" && SDK_RELEASE="$r" node --test --test-reporter=spec journey.test.js) || rc=$?
    record "node:$r" "$rc" "$((SECONDS - t))"
done

for r in "${PYTHON_RELEASES[@]}"; do
    selected "python:$r" || continue
    echo "=== supertokens-python $r"
    t=$SECONDS rc=0
    (cd "$py_dir" && SDK_RELEASE="$r" "$venvs/$r/bin/python" -m pytest -q ${SDK_MATRIX_DUMP:+-s}) || rc=$?
    record "python:$r" "$rc" "$((SECONDS - t))"
done

echo "=== release matrix ($((SECONDS - run_start)) s)"
printf '%s\n' "${summary[@]}"
exit $status
