#!/bin/sh
# make demo: run examples/demo/hello.py under fdbroker on port 80 as nobody, fetch its page
# like a client would, show it, and stop the service. Usage: run.sh BUILD_DIR
set -u
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

if [ "$(id -u)" != 0 ]; then
	echo "make demo: needs root (fdbroker binds port 80, then drops to nobody): sudo make demo" >&2
	exit 1
fi
# The worker runs as nobody: give it copies it can read, wherever the checkout lives.
work=$(mktemp -d /tmp/fdbroker-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
chmod 0755 "$work"
cp "$here/hello.py" "$here/demo.policy" "$work/"
chmod 0644 "$work/demo.policy" "$work/hello.py"

say "Checking the policy: $build/fdbroker check demo.policy"
"$build/fdbroker" check "$work/demo.policy" || exit 1
sed 's/^/    /' "$work/demo.policy"

say "Starting: fdbroker run -v -p demo.policy -- /usr/bin/python3 hello.py"
"$build/fdbroker" run -v -p "$work/demo.policy" -- /usr/bin/python3 "$work/hello.py" &
pid=$!

say "Fetching http://127.0.0.1:80/ as a client"
/usr/bin/python3 - <<'PY' || { kill "$pid" 2>/dev/null; exit 1; }
import time, urllib.request
for i in range(100):
    try:
        print(urllib.request.urlopen("http://127.0.0.1:80/", timeout=5).read().decode())
        break
    except OSError:
        time.sleep(0.05)
else:
    raise SystemExit("demo: the service did not answer on 127.0.0.1:80")
PY

say "Stopping the service: SIGTERM to fdbroker, which forwards it"
kill -TERM "$pid"
wait "$pid"
status=$?
echo "fdbroker exited with status $status (the service's own)"
exit "$status"
