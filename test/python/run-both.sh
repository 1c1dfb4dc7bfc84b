#!/usr/bin/env bash
# Run the Python suites under both supported Twisted versions: Debian's /usr/bin/python3
# (Twisted 22.4, debugpy 1.6) and the venv (Twisted 26.4, debugpy 1.8.22).  Extra arguments go
# to pytest.  Prints one summary line per interpreter; exits non-zero if either fails.
cd "$(dirname "$0")" || exit 2
ROOT="$(cd ../.. && pwd)"
status=0
summary=""
for py in /usr/bin/python3 "$ROOT/.cache/venv-tw26/bin/python"; do
    if [ ! -x "$py" ]; then
        summary="$summary
MISSING  $py"
        status=1
        continue
    fi
    version=$("$py" -c 'import twisted; print(twisted.__version__)' 2>/dev/null || echo "no twisted")
    echo "=== $py (Twisted $version)"
    out=$(mktemp)
    "$py" -m pytest -q "$@" 2>&1 | tee "$out"
    rc=${PIPESTATUS[0]}
    last=$(grep -E '[0-9]+ (passed|failed|error)' "$out" | tail -n 1)
    rm -f "$out"
    if [ "$rc" != 0 ] || [ -z "$last" ]; then
        status=1
        summary="$summary
FAIL     Twisted $version ($py): ${last:-no result}"
    else
        summary="$summary
ok       Twisted $version ($py): $last"
    fi
done
echo "=== summary$summary"
exit $status
