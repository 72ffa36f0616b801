#!/usr/bin/env bash
# The SCIM conformance run (../shared/conformance/README.md): a real
# `roster serve` on an ephemeral loopback port with a fresh config, database
# and scim token, the Microsoft SCIM test collection run against it with
# newman, and the server stopped by the PID this script started.
#   scripts/scim-conformance.sh REPORT.json   (newman's JSON report goes there)
# Exits with newman's status: 0 when no assertion failed.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
report=${1:?usage: scim-conformance.sh REPORT.json}
collection="$here/../shared/conformance/scim-microsoft.postman.json"
[[ -f $collection ]] || { echo "scim-conformance: $collection not found" >&2; exit 1; }
dir=$(mktemp -d /tmp/roster-scim.XXXXXX)
pid=
cleanup() {
  if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

cp "$here/test/fixtures/scim-conformance.roster.yaml" "$dir/roster.yaml"
roster() { node "$here/dist/roster.mjs" --config "$dir/roster.yaml" "$@"; }
token=$(roster token create --role scim --expires 1h --note "SCIM conformance run")

# node itself in the background (not the shell function): $! must be the server's own PID.
node "$here/dist/roster.mjs" --config "$dir/roster.yaml" serve --listen 127.0.0.1:0 >"$dir/serve.out" 2>"$dir/serve.err" &
pid=$!
url=
for _ in $(seq 100); do
  url=$(sed -n 's/^listening on //p' "$dir/serve.out" | head -1)
  [[ -n $url ]] && break
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -z $url ]]; then
  echo "scim-conformance: roster serve did not start:" >&2
  cat "$dir/serve.err" >&2
  exit 1
fi
port=${url##*:}
echo "scim-conformance: roster serve (pid $pid) at $url" >&2

status=0
timeout 300 "$here/node_modules/.bin/newman" run "$collection" \
  --folder "Endpoint tests" --folder "User tests" --folder "Group tests" \
  --folder "ComplexAttribute tests" --folder "User tests with garbage" \
  --folder "Group tests with garbage" --folder "Teardown garbage" \
  --folder "Get all users" --folder "Get all groups" \
  --env-var Protocol=http --env-var Server=127.0.0.1 --env-var "Port=:$port" \
  --env-var Api=scim/v2 --env-var "token=$token" \
  --reporters cli,json --reporter-json-export "$report" --color off >&2 || status=$?
exit "$status"
