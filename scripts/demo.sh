#!/usr/bin/env bash
# `npm run demo`: a short tour of Roster on the embedded SQLite store in
# ./.roster-demo (kept between runs; delete the folder to start over).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
dir="$here/.roster-demo"
roster() { node "$here/dist/roster.mjs" --config "$dir/roster.yaml" "$@"; }
step() { printf '\n\033[1m$ roster %s\033[0m\n' "$*"; roster "$@"; }

if [ ! -f "$dir/roster.yaml" ]; then
  step init --dir "$dir"
fi
if ! roster person show M001 >/dev/null 2>&1; then
  step person add --id M001 --first Søren --last Vette --role MEMBER --email MEMBER=soren@example.org
  step account suggest M001 --type member
  printf 'correct-Horse-battery-9\n' | roster account create M001 --type member --password-stdin
  step ledger pay M001 25 --note "first dues"
fi
user=$(roster --json person show M001 | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).accounts[0]))')
step account show "$user"
step billing run --dry-run
step account freeze "$user" --reason security --note "demo: a leaked key" --dry-run
step account retire "$user" --dry-run
step purge --dry-run
step account list
step audit --limit 10
step audit verify
printf '\nEverything above lives in %s (config, HMAC key, SQLite database).\n' "$dir"
