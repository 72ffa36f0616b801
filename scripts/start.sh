#!/usr/bin/env bash
# `npm start`: runs `roster serve` on the embedded SQLite store in
# ./.roster-demo (made by `roster init` on the first run and kept between
# runs; delete the folder to start over). `npm run demo` is the CLI tour.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir="$here/.roster-demo"
roster() { node "$here/dist/roster.mjs" --config "$dir/roster.yaml" "$@"; }

if [ ! -f "$dir/roster.yaml" ]; then
  roster init --dir "$dir" >&2
fi
cat >&2 <<HINT
Roster server on $dir (roster.yaml, SQLite database, HMAC key).
Every endpoint but /api/v1/openapi.json and SCIM discovery needs a token; in another terminal:
  node dist/roster.mjs --config $dir/roster.yaml token create --role admin
then e.g.  curl -H "Authorization: Bearer TOKEN" http://127.0.0.1:8080/api/v1/accounts
Stop with Ctrl-C.

HINT
exec node "$here/dist/roster.mjs" --config "$dir/roster.yaml" serve "$@"
