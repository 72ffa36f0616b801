#!/usr/bin/env bash
# Builds the Debian package roster_<version>_<arch>.deb from what `npm run
# build` left in dist/ (`npm run package` runs both) into OUTDIR (default: the
# current directory), and prints the package's path.
#
#   /usr/bin/roster                                 the wrapper (contrib/bin/roster): from the snapshot, or roster.mjs
#   /usr/lib/roster/roster.mjs                      the launcher, run by Debian's node
#   /usr/lib/roster/roster.cjs                      the bundle
#   /usr/lib/roster/roster-snapshot.cjs             the snapshot's bundle, and make-snapshot, which builds
#                                                   /var/cache/roster/roster.blob at configure time
#   /usr/lib/roster/vendor/                         libraries some commands load on first use
#   /usr/lib/roster/node_modules/                   the native addons and the files they load
#   /usr/share/man/man{1,5}/                        the generated manual pages
#   /usr/lib/systemd/system/                        serve, agent, jobs (+ timer) units
#   /etc/roster/roster.yaml                         the example configuration (a conffile)
#   /etc/apt/apt.conf.d/99roster-watch              roster watch's APT hooks (a conffile)
#
# The addons (better-sqlite3, koffi) are the ones in node_modules, built for
# the Node major this package then requires: better-sqlite3 is tied to the
# Node ABI (NODE_MODULE_VERSION), so Depends pins nodejs to that major
# (Debian 13 ships Node 20, ABI 115, which is the ABI npm builds them for on
# Node 20). koffi uses Node-API and loads on any later Node.
#
# Reproducible where it is cheap: timestamps are SOURCE_DATE_EPOCH's (default:
# the last commit's), compressed files carry no name or time, files are owned
# by root in the archive.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
outdir=$(realpath "${1:-.}")

fail() { echo "package-deb: $*" >&2; exit 1; }

for f in dist/roster.mjs dist/roster.cjs dist/roster-snapshot.cjs dist/bundled-packages.txt dist/man/man1/roster.1 dist/man/man5/roster.yaml.5; do
  [[ -f $f ]] || fail "$f is missing: run \`npm run build\` first"
done
for tool in dpkg-deb dpkg-shlibdeps strip gzip; do
  command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install dpkg-dev binutils)"
done

name=roster
version=$(node -p 'require("./package.json").version')
arch=$(dpkg --print-architecture)
maintainer="${DEBFULLNAME:-Roster maintainers} <${DEBEMAIL:-roster@example.org}>"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

stage=$(mktemp -d "${TMPDIR:-/tmp}/roster-deb.XXXXXX")
trap 'rm -rf "$stage"' EXIT
root=$stage/$name
lib=$root/usr/lib/roster
doc=$root/usr/share/doc/roster
install -d -m 0755 "$root/DEBIAN" "$root/usr/bin" "$lib" "$doc" \
  "$root/usr/share/man/man1" "$root/usr/share/man/man5" "$root/usr/lib/systemd/system" \
  "$root/etc/roster" "$root/var/lib/roster" "$root/var/cache/roster"

# --- the bundle and its launcher -------------------------------------------
# Debian's node is /usr/bin/node; the code cache is not shipped (V8 takes it
# only from the same node build): the first command root runs writes one
# into /var/cache/roster, as the launcher keeps /usr as the package wrote it.
# Nor is the startup snapshot (node takes it only from the very binary that
# made it): postinst builds it into /var/cache/roster with make-snapshot, at
# configure time and whenever a package changes /usr/bin/node (a trigger).
{ echo '#!/usr/bin/node'; tail -n +2 dist/roster.mjs; } >"$lib/roster.mjs"
chmod 0755 "$lib/roster.mjs"
install -m 0644 dist/roster.cjs "$lib/roster.cjs"
install -m 0644 dist/roster-snapshot.cjs "$lib/roster-snapshot.cjs"
install -m 0755 contrib/bin/make-snapshot "$lib/make-snapshot"
# Libraries some commands load on first use (see scripts/bundle.mjs).
install -d -m 0755 "$lib/vendor"
install -m 0644 dist/vendor/*.cjs "$lib/vendor/"
sed -e 's#^lib=@LIB@$#lib=/usr/lib/roster#' -e 's#^blob=@BLOB@$#blob=/var/cache/roster/roster.blob#' -e 's#^node=@NODE@$#node=/usr/bin/node#' \
  contrib/bin/roster >"$root/usr/bin/roster"
chmod 0755 "$root/usr/bin/roster"
grep -q '@[A-Z]*@' "$root/usr/bin/roster" && fail "contrib/bin/roster: a path was not filled in"

# --- native addons: exactly the files they load ------------------------------
# Traced by loading them as the bundle does (the JS files Node required and the
# .node objects it mapped), plus each package's package.json (bindings finds
# the addon from it). Their licences are in the copyright file.
externals=$(node -e '
  const Database = require("better-sqlite3");
  new Database(":memory:").prepare("select 1").get();
  const koffi = require("koffi");
  koffi.load("libc.so.6");
  const mapped = require("node:fs").readFileSync("/proc/self/maps", "utf8").split("\n")
    .map((l) => l.split(/\s+/).pop()).filter((p) => p.endsWith(".node"));
  const files = new Set([...Object.keys(require.cache), ...mapped]);
  for (const f of files) if (f.startsWith(process.cwd() + "/node_modules/")) console.log(f.slice(process.cwd().length + 1));
')
[[ $externals == *better_sqlite3.node* && $externals == *koffi.node* ]] || fail "could not find the native addons in node_modules (run npm ci)"
declare -A packages=()
while read -r f; do
  install -D -m 0644 "$f" "$lib/$f"
  [[ $f =~ ^(node_modules/(@[^/]+/)?[^/]+)/ ]] && packages[${BASH_REMATCH[1]}]=1
done <<<"$externals"
for p in "${!packages[@]}"; do
  install -m 0644 "$p/package.json" "$lib/$p/package.json"
done
addons=$(find "$lib" -name '*.node' | sort)
# Shared objects are installed stripped (Debian policy); debug symbols are not shipped.
for a in $addons; do
  chmod 0644 "$a"
  strip --strip-unneeded --remove-section=.comment --remove-section=.note "$a"
done

# The Node ABI the V8-bound addon was built for decides the nodejs major.
abi=$(grep -aoE 'node_register_module_v[0-9]+' "$lib/node_modules/better-sqlite3/build/Release/better_sqlite3.node" | head -1 | sed 's/.*_v//')
declare -A node_major_of_abi=([108]=18 [115]=20 [127]=22 [137]=24)
major=${node_major_of_abi[$abi]:-}
[[ -n $major ]] || fail "better-sqlite3 was built for an unknown Node ABI '$abi'"
((major >= 20)) || fail "better-sqlite3 was built for Node $major; the package needs Node 20 or later"

# --- manual pages --------------------------------------------------------------
for page in dist/man/man1/*.1 dist/man/man5/*.5; do
  section=${page##*.}
  gzip -9n <"$page" >"$root/usr/share/man/man$section/$(basename "$page").gz"
  chmod 0644 "$root/usr/share/man/man$section/$(basename "$page").gz"
done

# --- systemd units -----------------------------------------------------------
for unit in contrib/systemd/*.service contrib/systemd/*.timer; do
  sed 's#/usr/local/bin/roster#/usr/bin/roster#g' "$unit" >"$root/usr/lib/systemd/system/$(basename "$unit")"
  chmod 0644 "$root/usr/lib/systemd/system/$(basename "$unit")"
done

# --- roster watch's APT hooks ------------------------------------------------
# A watch turn around every dpkg run (after etckeeper); they do nothing on a
# host where roster watch never ran, and never fail nor block apt.
install -d -m 0755 "$root/etc/apt/apt.conf.d"
install -m 0644 contrib/apt/99roster-watch "$root/etc/apt/apt.conf.d/99roster-watch"

# --- /etc/roster/roster.yaml -------------------------------------------------
# `roster init`'s example, with the database and the HMAC key where the
# package keeps them (the database in the roster user's directory).
scratch=$stage/init
ROSTER_CODE_CACHE=0 node "$lib/roster.mjs" init --dir "$scratch" >/dev/null
sed -e 's#^database: roster\.db$#database: /var/lib/roster/db/roster.db#' \
    -e 's#^\(  hmacKeyFile:\) roster\.hmac-key$#\1 /etc/roster/roster.hmac-key#' \
    "$scratch/roster.yaml" >"$root/etc/roster/roster.yaml"
grep -q '^database: /var/lib/roster/db/roster.db$' "$root/etc/roster/roster.yaml" || fail "the example roster.yaml has no 'database: roster.db' line to point at /var/lib/roster/db"
grep -q '^  hmacKeyFile: /etc/roster/roster.hmac-key$' "$root/etc/roster/roster.yaml" || fail "the example roster.yaml has no '  hmacKeyFile: roster.hmac-key' line to point at /etc/roster"
chmod 0644 "$root/etc/roster/roster.yaml"
ROSTER_CODE_CACHE=0 node "$lib/roster.mjs" --config "$root/etc/roster/roster.yaml" config check >/dev/null \
  || fail "the packaged roster.yaml does not pass roster config check"

# --- documentation: changelog, copyright ------------------------------------
date_rfc2822=$(LC_ALL=C date -u -d "@$SOURCE_DATE_EPOCH" -R)
cat >"$stage/changelog" <<EOF
$name ($version) unstable; urgency=medium

  * Roster $version: the bundled command, its native addons, manual pages,
    systemd units for serve, agent, the jobs and the watch timers, roster
    watch's APT hooks, and /etc/roster.

 -- $maintainer  $date_rfc2822
EOF
gzip -9n <"$stage/changelog" >"$doc/changelog.gz"
chmod 0644 "$doc/changelog.gz"

# DEP-5: Roster itself, then every package in the bundles (scripts/bundle.mjs
# lists them from esbuild's metafiles) and in node_modules, with the licence
# texts once per licence.
year=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y)
bundled=$(sort -u dist/bundled-packages.txt)
node - "$year" $bundled "${!packages[@]}" >"$doc/copyright" <<'EOF'
const fs = require('node:fs');
const [year, ...dirs] = process.argv.slice(2);
const texts = {
  MIT: `Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.`,
  'MIT-0': `Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.`,
  ISC: `Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted, provided that the above
copyright notice and this permission notice appear in all copies.

THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES
WITH REGARD TO THIS SOFTWARE INCLUDING ALL IMPLIED WARRANTIES OF
MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES
WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF
OR IN CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.`,
  'LGPL-2.1-or-later': `This library is free software; you can redistribute it and/or modify it
under the terms of the GNU Lesser General Public License as published by
the Free Software Foundation; either version 2.1 of the License, or (at
your option) any later version.

On Debian systems, the complete text of the GNU Lesser General Public
License version 2.1 can be found in "/usr/share/common-licenses/LGPL-2.1".`,
  'Apache-2.0': `Licensed under the Apache License, Version 2.0.

On Debian systems, the complete text of the Apache License, Version 2.0
can be found in "/usr/share/common-licenses/Apache-2.0".`,
  'BSD-3-Clause': `Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice,
   this list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE
ARE DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE
LIABLE FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR
CONSEQUENTIAL DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF
SUBSTITUTE GOODS OR SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS
INTERRUPTION) HOWEVER CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN
CONTRACT, STRICT LIABILITY, OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE)
ARISING IN ANY WAY OUT OF THE USE OF THIS SOFTWARE, EVEN IF ADVISED OF THE
POSSIBILITY OF SUCH DAMAGE.`,
  'public-domain': `The author disclaims copyright to this source code. In place of a legal
notice, here is a blessing:
 May you do good and not evil.
 May you find forgiveness for yourself and forgive others.
 May you share freely, never taking more than you give.`,
};
// DEP-5 wants continuation lines indented, and an empty line as " .".
const field = (text) => text.split('\n').map((l) => (l === '' ? ' .' : ` ${l}`)).join('\n');
const out = [
  'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
  'Upstream-Name: roster',
  '',
  'Files: *',
  `Copyright: ${year} Roster contributors`,
  'License: MIT',
  '',
];
const used = new Set(['MIT']);
for (const dir of [...new Set(dirs)].sort()) {
  const pkg = JSON.parse(fs.readFileSync(`${dir}/package.json`, 'utf8'));
  const license = typeof pkg.license === 'string' ? pkg.license : pkg.license?.type;
  if (!(license in texts)) throw new Error(`${dir}: licence ${license} has no text here; add it`);
  used.add(license);
  const file = fs.readdirSync(dir).find((f) => /^licen[cs]e/i.test(f));
  const lines = file === undefined ? [] : fs.readFileSync(`${dir}/${file}`, 'utf8').split('\n');
  const holders = lines.map((l) => l.trim()).filter((l) => /^copyright\b/i.test(l) && /\d{4}|\(c\)|©/i.test(l))
    .map((l) => l.replace(/^copyright\s*(\(c\)|©)?\s*/i, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').trim());
  const author = typeof pkg.author === 'string' ? pkg.author : pkg.author?.name;
  const copyright = holders.length > 0 ? holders : [author ?? `the ${pkg.name} authors`];
  out.push(`Files: ${dir}/*`, `Copyright: ${copyright.join('\n ')}`, `License: ${license}`, `Comment: ${pkg.name} ${pkg.version}`, '');
  if (pkg.name === 'better-sqlite3') {
    used.add('public-domain');
    out.push(`Files: ${dir}/deps/sqlite3/*`, 'Copyright: none (SQLite is in the public domain)', 'License: public-domain', 'Comment: SQLite, compiled into better_sqlite3.node', '');
  }
}
for (const license of [...used].sort()) out.push(`License: ${license}`, field(texts[license]), '');
process.stdout.write(`${out.join('\n').trimEnd()}\n`);
EOF
chmod 0644 "$doc/copyright"

# --- maintainer scripts and control -----------------------------------------
install -m 0755 contrib/debian/postinst contrib/debian/prerm contrib/debian/postrm "$root/DEBIAN/"
# A new node (an upgrade of nodejs) needs a new snapshot: postinst is triggered.
printf 'interest-noawait /usr/bin/node\n' >"$root/DEBIAN/triggers"
chmod 0644 "$root/DEBIAN/triggers"
printf '%s\n' /etc/apt/apt.conf.d/99roster-watch /etc/roster/roster.yaml >"$root/DEBIAN/conffiles"
chmod 0644 "$root/DEBIAN/conffiles"

# Libraries the addons link (libc6, libstdc++6, libgcc-s1), from their symbols.
mkdir -p "$stage/debian"
printf 'Source: %s\n\nPackage: %s\nArchitecture: any\n' "$name" "$name" >"$stage/debian/control"
# shellcheck disable=SC2086 # one argument per addon
shlibs=$(cd "$stage" && dpkg-shlibdeps -O -e $addons 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[[ -n $shlibs ]] || fail "dpkg-shlibdeps found no libraries for the addons"

find "$root" -mindepth 1 -not -path "$root/DEBIAN*" -type f -print0 | sort -z |
  (cd "$root" && xargs -0 md5sum | sed "s#  $root/#  #") >"$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"
installed_size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)

# ca-certificates: the agent and SMTP speak TLS, and Debian's node warns on
# every start when its CA bundle is missing.
cat >"$root/DEBIAN/control" <<EOF
Package: $name
Version: $version
Architecture: $arch
Maintainer: $maintainer
Installed-Size: $installed_size
Depends: nodejs (>= $major), nodejs (<< $((major + 1))), adduser, ca-certificates, $shlibs
Recommends: man-db
Section: admin
Priority: optional
Description: account lifecycle manager for multi-user Unix hosts
 Roster keeps people and accounts in one place and makes every host agree
 with it: accounts are created, frozen, retired and purged by policy, with
 grace periods, reserved usernames and UIDs that are never reused, and a
 hash-chained audit log of every change.
 .
 It writes passwd, shadow and group, homes, quotas, limits, cron and login
 lists on each host, imports roster CSV files, serves a REST API and SCIM 2.0
 for identity providers, and runs purge, billing and notification jobs.
EOF

# Timestamps: every file and directory at SOURCE_DATE_EPOCH.
find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
deb="$outdir/${name}_${version}_${arch}.deb"
mkdir -p "$outdir"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
