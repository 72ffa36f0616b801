/**
 * What dpkg says is installed (`/var/lib/dpkg/status`), reduced to what a
 * change report needs: each package's version and state, and which package
 * owns each configuration file (its `Conffiles`), so that a changed file can
 * be named with its package (etckeeper's "packages with configuration
 * changes").
 */
export interface PackageList {
  /** By `name:arch`. */
  readonly packages: Readonly<Record<string, { readonly version: string; readonly state: string }>>;
  /** Conffile path to the owning package's name. */
  readonly conffiles: Readonly<Record<string, string>>;
}

/** States in which a package's files are on the system (dpkg-query(1)). */
const PRESENT = new Set(['installed', 'triggers-awaited', 'triggers-pending', 'half-configured', 'unpacked']);

export function parseDpkgStatus(text: string): PackageList {
  const packages: Record<string, { version: string; state: string }> = {};
  const conffiles: Record<string, string> = {};
  for (const paragraph of text.split(/\n\n+/)) {
    let name = '';
    let arch = '';
    let version = '';
    let state = '';
    const files: string[] = [];
    let inConffiles = false;
    for (const line of paragraph.split('\n')) {
      if (line.startsWith(' ')) {
        if (inConffiles) {
          const path = line.trim().split(' ')[0];
          if (path !== undefined && path.startsWith('/')) files.push(path);
        }
        continue;
      }
      inConffiles = false;
      const colon = line.indexOf(':');
      if (colon === -1) continue;
      const field = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      if (field === 'Package') name = value;
      else if (field === 'Architecture') arch = value;
      else if (field === 'Version') version = value;
      else if (field === 'Status') state = value.split(' ')[2] ?? '';
      else if (field === 'Conffiles') inConffiles = true;
    }
    if (name === '' || state === '' || state === 'not-installed') continue;
    packages[`${name}:${arch === '' ? 'all' : arch}`] = { version, state };
    if (PRESENT.has(state) || state === 'config-files') for (const f of files) conffiles[f] ??= name;
  }
  return { packages, conffiles };
}

export interface PackageChanges {
  readonly installed: ReadonlyArray<{ readonly name: string; readonly version: string }>;
  /** `purged` when not even its configuration files stay. */
  readonly removed: ReadonlyArray<{ readonly name: string; readonly version: string; readonly purged: boolean }>;
  readonly upgraded: ReadonlyArray<{ readonly name: string; readonly from: string; readonly to: string }>;
  readonly downgraded: ReadonlyArray<{ readonly name: string; readonly from: string; readonly to: string }>;
}

export const NO_PACKAGE_CHANGES: PackageChanges = { installed: [], removed: [], upgraded: [], downgraded: [] };

export function packageChangeCount(c: PackageChanges): number {
  return c.installed.length + c.removed.length + c.upgraded.length + c.downgraded.length;
}

/** `name` for the native architecture and `all`, `name:arch` otherwise, as apt prints them. */
function shown(key: string, native: string): string {
  const i = key.lastIndexOf(':');
  const arch = key.slice(i + 1);
  return arch === 'all' || arch === native ? key.slice(0, i) : key;
}

function nativeArch(list: PackageList): string {
  const counts = new Map<string, number>();
  for (const key of Object.keys(list.packages)) {
    const arch = key.slice(key.lastIndexOf(':') + 1);
    if (arch !== 'all') counts.set(arch, (counts.get(arch) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
}

/** What changed between two package lists, each list sorted by name. */
export function comparePackages(before: PackageList, after: PackageList): PackageChanges {
  const native = nativeArch(after) || nativeArch(before);
  const installed: Array<{ name: string; version: string }> = [];
  const removed: Array<{ name: string; version: string; purged: boolean }> = [];
  const upgraded: Array<{ name: string; from: string; to: string }> = [];
  const downgraded: Array<{ name: string; from: string; to: string }> = [];
  const keys = [...new Set([...Object.keys(before.packages), ...Object.keys(after.packages)])].sort();
  for (const key of keys) {
    const a = before.packages[key];
    const b = after.packages[key];
    const wasThere = a !== undefined && PRESENT.has(a.state);
    const isThere = b !== undefined && PRESENT.has(b.state);
    const name = shown(key, native);
    if (!wasThere && isThere) installed.push({ name, version: b.version });
    else if (wasThere && !isThere) removed.push({ name, version: a.version, purged: b === undefined });
    else if (wasThere && isThere && a.version !== b.version) {
      (compareVersions(b.version, a.version) > 0 ? upgraded : downgraded).push({ name, from: a.version, to: b.version });
    }
  }
  return { installed, removed, upgraded, downgraded };
}

/** dpkg's order of a version character: `~` first, then the end of the part and digits, then letters, then the rest. */
function order(c: string | undefined): number {
  if (c === undefined || isDigit(c)) return 0;
  if (c === '~') return -1;
  if (/[A-Za-z]/.test(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** dpkg's verrevcmp (deb-version(7)): non-digit runs by `order`, digit runs as numbers. */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    while (isDigit(a[i]) && isDigit(b[j])) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (isDigit(a[i])) return 1;
    if (isDigit(b[j])) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** Debian version order: epoch, then upstream version, then revision; `~` sorts before everything, even the end. */
export function compareVersions(a: string, b: string): number {
  const split = (v: string): [number, string, string] => {
    const colon = v.indexOf(':');
    const epoch = colon === -1 ? 0 : Number(v.slice(0, colon)) || 0;
    const rest = colon === -1 ? v : v.slice(colon + 1);
    const dash = rest.lastIndexOf('-');
    return dash === -1 ? [epoch, rest, ''] : [epoch, rest.slice(0, dash), rest.slice(dash + 1)];
  };
  const [ea, ua, ra] = split(a);
  const [eb, ub, rb] = split(b);
  if (ea !== eb) return ea - eb;
  return compareFragment(ua, ub) || compareFragment(ra, rb);
}
