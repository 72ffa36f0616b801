#!/usr/bin/env bash
# Builds the Debian package (scripts/package-deb.sh, from dist/: run `npm run
# build` first), installs it with apt into a throwaway Debian 13 (trixie) root
# and checks it there: `roster --version`, the native addons under Debian's
# node, the maintainer scripts' user, directories and key, `roster init`,
# `roster doctor`, `man roster`, then a purge; lintian checks the .deb.
#
#   scripts/package-test.sh [RESULT.json]
#
# Prints one `ok N - …` / `not ok N - …` line per assertion on stderr and,
# given RESULT.json, writes {"assertions":{"total":N,"failed":N}} there.
# Exits 0 when every assertion passed.
#
# Run as root (debootstrap, chroot, mounts). Everything happens under one temp
# directory; the host's /etc is only read (resolv.conf). The minbase root, with
# its package lists, is kept as a tarball in $ROSTER_CI_CACHE (default
# /var/cache/roster-ci), one per suite and day, and the .debs apt fetched
# beside it, so a second run on the same day downloads nothing.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
result=${1:-}
suite=trixie
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=${ROSTER_CI_CACHE:-/var/cache/roster-ci}
step_timeout=${STEP_TIMEOUT:-300}
started=$SECONDS

log() { printf '[package-test +%ds] %s\n' "$((SECONDS - started))" "$*" >&2; }

tmp=$(mktemp -d /tmp/roster-package-test.XXXXXX)
root=$tmp/root
total=0
failed=0

write_result() {
  [[ -z $result ]] || printf '{"assertions":{"total":%d,"failed":%d}}\n' "$total" "$failed" >"$result"
}

# Unmounts everything under the root, deepest first, then removes the temp
# directory only when nothing is mounted there any more (never across a
# mount: a bind mount left behind would otherwise be emptied).
cleanup() {
  local rc=$? m
  while read -r m; do
    [[ -n $m ]] && { umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; }
  done < <(findmnt -rn -o TARGET 2>/dev/null | grep -F "$root" | sort -r || true)
  if findmnt -rn -o TARGET 2>/dev/null | grep -qF "$root"; then
    log "still mounted under $root: left in place"
  else
    rm -rf --one-file-system "$tmp"
  fi
  # A run that broke before counting all its assertions still reports a failure.
  if ((rc != 0 && failed == 0)); then total=$((total + 1)); failed=$((failed + 1)); fi
  write_result
  exit "$rc"
}
trap cleanup EXIT
# A timeout or Ctrl-C still unmounts and removes everything.
trap 'exit 143' TERM
trap 'exit 130' INT

# check DESCRIPTION COMMAND…: one assertion; the command's output is shown on failure.
check() {
  local what=$1; shift
  local out n=$((total + 1))
  if out=$("$@" 2>&1); then
    total=$n
    printf 'ok %d - %s\n' "$n" "$what" >&2
  else
    total=$n failed=$((failed + 1))
    printf 'not ok %d - %s\n' "$n" "$what" >&2
    printf '%s\n' "$out" | tail -n 25 | sed 's/^/    /' >&2
  fi
}

# in_root COMMAND: a shell command in the root, bounded in time.
in_root() {
  timeout --kill-after=10s "$step_timeout" chroot "$root" /usr/bin/env -i \
    PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    /bin/sh -ec "$1"
}

# --- the package -----------------------------------------------------------------
log "building the package"
deb=$(bash scripts/package-deb.sh "$tmp/out")
version=$(node -p 'require("./package.json").version')
log "built $deb"

# --- the Debian 13 root ------------------------------------------------------------
mkdir -p "$cache/$suite-debs"
base="$cache/debian-$suite-minbase-$(date -u +%Y%m%d).tar.gz"
if [[ -f $base ]]; then
  log "using the cached root $base"
  mkdir "$root"
  tar -xzf "$base" -C "$root" --numeric-owner
else
  log "debootstrap $suite (no root cached for today)"
  timeout --kill-after=10s 15m debootstrap --variant=minbase "$suite" "$root" "$mirror" >"$tmp/debootstrap.log" 2>&1 \
    || { tail -n 20 "$tmp/debootstrap.log" >&2; exit 1; }
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  # Package scripts must not start daemons in the root.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 0755 "$root/usr/sbin/policy-rc.d"
  in_root 'apt-get -qq update && apt-get clean' >&2
  tar -czf "$base.tmp.$$" -C "$root" --numeric-owner .
  mv "$base.tmp.$$" "$base"
  # Older days' roots of this suite are never used again.
  find "$cache" -maxdepth 1 -name "debian-$suite-minbase-*.tar.gz" ! -path "$base" -delete
  log "cached the root as $base"
fi
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"

# --- install ---------------------------------------------------------------------------
# The .debs of earlier runs go into apt's cache, so it fetches only what changed.
find "$cache/$suite-debs" -name '*.deb' -exec cp -t "$root/var/cache/apt/archives/" {} +
cp "$deb" "$root/tmp/"
debname=$(basename "$deb")
log "apt-get install ./$debname"
check "apt-get installs the package and its dependencies (Debian's nodejs) into Debian 13" \
  in_root "apt-get -q -y -o Dpkg::Use-Pty=0 --no-install-recommends install /tmp/$debname man-db"
# Keep exactly the .debs this run used.
find "$cache/$suite-debs" -name '*.deb' -delete
find "$root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec cp -t "$cache/$suite-debs/" {} +

check "roster --version prints $version and nothing else" \
  in_root "test \"\$(roster --version 2>&1)\" = '$version'"
abi=$(in_root 'node -p process.versions.modules' 2>/dev/null || echo '?')
log "Debian's node: $(in_root 'node --version' 2>/dev/null || echo '?') (ABI $abi)"
check "the native addons load in Debian's node (ABI $abi)" \
  in_root "cd /usr/lib/roster && node -e '
    const Database = require(\"better-sqlite3\");
    if (new Database(\":memory:\").prepare(\"select 40 + 2 as n\").get().n !== 42) process.exit(1);
    require(\"koffi\").load(\"libc.so.6\");
  '"
check "postinst made the roster system user, /var/lib/roster/db owned by it and the database" \
  in_root 'getent passwd roster | grep -q ":/var/lib/roster/db:"
           test "$(stat -c %U:%G:%a /var/lib/roster/db)" = roster:roster:750
           test "$(stat -c %U:%G:%a /var/lib/roster)" = root:root:755
           test "$(stat -c %U /var/lib/roster/db/roster.db)" = roster'
check "postinst made the HMAC key (the roster user's, 0600) and /etc/roster/roster.yaml is a conffile that checks" \
  in_root 'test "$(stat -c %U:%G:%a /etc/roster/roster.hmac-key)" = roster:roster:600
           dpkg-query -W -f="\${Conffiles}\n" roster | grep -Eq "^ /etc/roster/roster.yaml [0-9a-f]{32}$"
           roster --config /etc/roster/roster.yaml config check'
check "the roster user (serve, jobs) can use the packaged database" \
  in_root 'runuser -u roster -- roster --config /etc/roster/roster.yaml jobs list >/dev/null'
check "roster init writes roster.yaml, an HMAC key and the database in a new directory" \
  in_root 'd=$(mktemp -d) && cd "$d" && roster init >/dev/null && roster config check >/dev/null
           test -f roster.yaml && test -f roster.db && test "$(stat -c %a roster.hmac-key)" = 600'
check "postinst made the startup snapshot for Debian's node (root's, 0644), and roster runs from it" \
  in_root 'test "$(stat -c %U:%a /var/cache/roster/roster.blob)" = root:644
           test "$(head -n 1 /var/cache/roster/roster.blob.node)" = "$(stat -L -c %d:%i:%s:%Y /usr/bin/node)"
           d=$(mktemp -d) && cd "$d" && roster init >/dev/null && roster config check >/dev/null
           test ! -e /var/cache/roster/roster.cjs.cache'
check "a command run as root without the snapshot keeps its code cache in /var/cache/roster, and /usr/lib/roster stays as installed" \
  in_root 'd=$(mktemp -d) && cd "$d" && ROSTER_SNAPSHOT=0 roster init >/dev/null && ROSTER_SNAPSHOT=0 roster config check >/dev/null
           test -s /var/cache/roster/roster.cjs.cache
           test "$(stat -c %U:%a /var/cache/roster/roster.cjs.cache)" = root:644
           test -z "$(ls /usr/lib/roster | grep cache)"'
# doctor judges the throwaway root (no cron, no quotas…): exit 1 with failed
# checks is an answer; a crash, an unknown command or a bad usage is not.
check "roster doctor checks the installed host (exit 0 or 1, one line per check)" \
  in_root 'set +e; out=$(roster doctor 2>&1); rc=$?; set -e
           printf "%s\n" "$out"
           test "$rc" -le 1 && printf "%s\n" "$out" | grep -Eqi "^ *(ok|warn|fail)"'
# What the package itself sets up must pass, for the user serve runs as.
check "roster doctor as the roster user: the packaged database is current, the HMAC key private, libcrypt works" \
  in_root 'out=$(runuser -u roster -- roster doctor 2>&1 || true)
           printf "%s\n" "$out"
           for c in database "hmac key" libcrypt; do printf "%s\n" "$out" | grep -Eq "^ok +$c:"; done'
check "man roster and man 5 roster.yaml render" \
  in_root 'MANPAGER=cat man roster | grep -q "^SYNOPSIS"
           MANPAGER=cat man 5 roster.yaml | grep -q "^NAME"
           man -w roster-serve >/dev/null'
check "the systemd units are installed and name /usr/bin/roster" \
  in_root 'for u in roster-serve.service roster-agent.service roster-jobs.service roster-jobs.timer roster-watch.service roster-watch.timer; do
             test -f /usr/lib/systemd/system/$u
           done
           grep -q "^ExecStart=/usr/bin/roster serve" /usr/lib/systemd/system/roster-serve.service
           grep -q "^User=roster" /usr/lib/systemd/system/roster-serve.service'
check "roster watch's APT hooks are a conffile, and apt runs through them (here roster watch never ran: they do nothing)" \
  in_root 'dpkg-query -W -f="\${Conffiles}\n" roster | grep -Eq "^ /etc/apt/apt.conf.d/99roster-watch [0-9a-f]{32}$"
           apt-config dump | grep -q "^DPkg::Pre-Invoke.*roster watch apt-pre"
           out=$(apt-get -q -y -o Dpkg::Use-Pty=0 install --reinstall /tmp/'"$debname"' 2>&1) || { printf "%s\n" "$out"; exit 1; }
           ! printf "%s\n" "$out" | grep -qi "roster.*error"
           test ! -e /var/lib/roster/watch'
check "apt-get purge removes the program and keeps the data" \
  in_root 'apt-get -q -y -o Dpkg::Use-Pty=0 purge roster >/dev/null
           test ! -e /usr/lib/roster && test ! -e /usr/bin/roster && test ! -e /etc/roster/roster.yaml
           test ! -e /var/cache/roster/roster.blob && test ! -e /var/cache/roster/roster.blob.node
           test -f /var/lib/roster/db/roster.db && test -f /etc/roster/roster.hmac-key'

# --- lintian ---------------------------------------------------------------------------------
# As an unprivileged user (lintian unpacks what it checks), on a copy it can read.
install -d -m 0755 "$tmp/lintian"
install -m 0644 "$deb" "$tmp/lintian/"
chmod 0755 "$tmp" "$tmp/lintian"
lintian_out="$tmp/lintian/report.txt"
lintian_cmd=(lintian --fail-on error --display-info "$tmp/lintian/$debname")
if runuser -u nobody -- env HOME=/tmp TMPDIR=/tmp timeout 300 "${lintian_cmd[@]}" >"$lintian_out" 2>&1; then lrc=0; else lrc=$?; fi
sed 's/^/    lintian: /' "$lintian_out" >&2
check "lintian $(lintian --version | sed 's/^Lintian v//') (this host) reports no errors ($(grep -c '^E:' "$lintian_out" || true) errors, $(grep -c '^W:' "$lintian_out" || true) warnings)" test "$lrc" -eq 0

# Debian 13's own lintian knows that release's rules.
log "lintian in the Debian 13 root"
in_root 'apt-get -qq -y -o Dpkg::Use-Pty=0 --no-install-recommends install lintian >/dev/null 2>&1' || true
cp "$deb" "$root/tmp/lintian.deb" && chmod 0644 "$root/tmp/lintian.deb"
if in_root 'cd /tmp && runuser -u nobody -- env HOME=/tmp lintian --fail-on error --display-info /tmp/lintian.deb' >"$lintian_out" 2>&1; then lrc=0; else lrc=$?; fi
sed 's/^/    lintian (Debian 13): /' "$lintian_out" >&2
trixie_lintian=$(in_root 'lintian --version' 2>/dev/null | sed 's/^Lintian v//' || true)
check "lintian ${trixie_lintian:-?} (Debian 13) reports no errors ($(grep -c '^E:' "$lintian_out" || true) errors, $(grep -c '^W:' "$lintian_out" || true) warnings)" test "$lrc" -eq 0
# Keep exactly the .debs this run used (lintian's too).
find "$cache/$suite-debs" -name '*.deb' -delete
find "$root/var/cache/apt/archives" -maxdepth 1 -name '*.deb' -exec cp -t "$cache/$suite-debs/" {} +

log "$((total - failed)) of $total assertions passed"
((failed == 0))
