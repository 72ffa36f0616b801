/**
 * Shell-style path patterns, as gitignore and metche's exclude lists read
 * them: a pattern without `/` matches a name anywhere in the tree
 * (`shadow*` matches `/etc/shadow-` and `/etc/x/shadow`); one with `/`
 * matches the whole absolute path (`/etc/ssl/private/**`). `*` and `?` stop
 * at `/`, `**` crosses it, `[abc]` and `[!a-z]` are classes.
 */
export interface GlobPattern {
  readonly source: string;
  matches(path: string): boolean;
}

/** Why `source` is not a pattern, or null when it is one. */
export function globProblem(source: string): string | null {
  if (source === '') return 'is empty';
  if (/[\u0000\n]/.test(source)) return 'contains a NUL or newline';
  if (source.includes('/') && !source.startsWith('/')) return `names a path, so it must be absolute (start with /), got "${source}"`;
  let open = false;
  for (const c of source) {
    if (c === '[') open = true;
    else if (c === ']') open = false;
  }
  return open ? `has an unclosed [ in "${source}"` : null;
}

function escape(c: string): string {
  return /[\\^$.|?*+()[\]{}/]/.test(c) ? `\\${c}` : c;
}

function toRegExp(source: string): RegExp {
  let out = '';
  for (let i = 0; i < source.length; i++) {
    const c = source[i] ?? '';
    if (c === '*') {
      if (source[i + 1] === '*') {
        // `/**/` also matches a single `/`; a trailing `/**` everything below.
        i++;
        if (source[i + 1] === '/') {
          i++;
          out += '(?:.*/)?';
        } else out += '.*';
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = source.indexOf(']', i + 2);
      if (end === -1) out += '\\[';
      else {
        let body = source.slice(i + 1, end);
        const negated = body.startsWith('!') || body.startsWith('^');
        if (negated) body = body.slice(1);
        out += `[${negated ? '^' : ''}${body.replace(/[\\\]]/g, (m) => `\\${m}`)}]`;
        i = end;
      }
    } else out += escape(c);
  }
  return new RegExp(`^${out}$`, 'u');
}

/** Compiles a pattern checked by globProblem. */
export function globPattern(source: string): GlobPattern {
  const re = toRegExp(source);
  const whole = source.includes('/');
  return {
    source,
    matches: whole ? (path) => re.test(path) : (path) => re.test(path.slice(path.lastIndexOf('/') + 1)),
  };
}

/** True when any of the patterns matches. */
export function anyMatches(patterns: readonly GlobPattern[], path: string): boolean {
  for (const p of patterns) if (p.matches(path)) return true;
  return false;
}
