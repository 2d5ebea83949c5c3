#!/bin/sh
# Run every Check suite in BUILD/tests, then print one summary line.
# Usage: tests/run.sh BUILD_DIR
set -u
build=${1:-build}
export FDBROKER_BUILD="$build"
[ "$(id -u)" = 0 ] || echo "tests: not root: root-only tests will skip (each says why)"
pass=0; fail=0; failed=""
for t in "$build"/tests/check_*; do
	[ -x "$t" ] || continue
	name=${t##*/}
	echo "== $name"
	out=$("$t" 2>&1); rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^[0-9]*%: Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' | awk '{c+=$1; f+=$2+$3} END {print c+0, f+0}')
	c=${p% *}; f=${p#* }
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
	pass=$((pass + c - f)); fail=$((fail + f))
	[ "$rc" -ne 0 ] && failed="$failed $name"
done
echo
echo "tests: $pass passed, $fail failed"
[ -z "$failed" ] || { echo "failing suites:$failed"; exit 1; }
