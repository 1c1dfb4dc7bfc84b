#!/usr/bin/env bash
# The Python lint, format and type gate: ruff (lint, then format check) over every Python tree of
# the repository, and mypy (strict, pyproject.toml) over the runtime. Uses the ruff and mypy of
# the Twisted 26.4 venv (test/harness/setup.mjs installs them). Runs every check even after a
# failure, so one run shows every finding; exits non-zero if any check found something.
cd "$(dirname "$0")/../.." || exit 2
BIN=".cache/venv-tw26/bin"
PATHS=(python/deferred_graph python/bootstrap test/python bench/python examples)
for tool in ruff mypy; do
    if [ ! -x "$BIN/$tool" ]; then
        echo "lint: $BIN/$tool missing; run: node -e \"import('./test/harness/setup.mjs').then(m=>m.ensureVenv())\"" >&2
        exit 2
    fi
done
status=0
run() {
    echo "=== $*"
    "$@" || status=1
}
run "$BIN/ruff" check --no-cache "${PATHS[@]}"
run "$BIN/ruff" format --no-cache --check "${PATHS[@]}"
run "$BIN/mypy" --no-incremental --cache-dir=/dev/null
exit $status
