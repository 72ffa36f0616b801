import { createHash } from 'node:crypto';
import { markerLine, type VhostMarker } from './vhost-marker.js';

/**
 * What one vhost file says, from the desired state alone: the same state
 * renders the same bytes. Whether the owner is frozen is not part of it (the
 * suspension flag is), so a freeze and its unfreeze leave the file as it is.
 */
export interface VhostSpec extends VhostMarker {
  /** The resource's name first, then its aliases, without repeats. */
  readonly names: readonly string[];
  /** The absolute directory served, as the web server sees it; or the member's daemon, `127.0.0.1:8080`. */
  readonly serve: { readonly root: string } | { readonly proxy: string };
}

export interface RenderOptions {
  readonly server: 'nginx' | 'apache';
  readonly listen: readonly string[];
  /** The suspended page, already encoded for a config string (encodedPage). */
  readonly page: string;
  /** The directory of suspension flags as the web server sees it; the vhost's flag is the file named after it there. */
  readonly flagDir: string;
  /** Whether every answer carries the file's tag (`X-Roster-Vhost`), by which verify knows the server loaded this very file. */
  readonly tagged: boolean;
}

/** The response header naming the file that answered. */
export const TAG_HEADER = 'X-Roster-Vhost';

/** A rendered vhost file and its tag (null when untagged). */
export interface RenderedVhost {
  readonly content: string;
  readonly tag: string | null;
}

/** The vhost's suspension flag as the web server sees it. */
export function flagPath(flagDir: string, name: string): string {
  return `${flagDir}/${name}`;
}

/** The comment above the flag check, for whoever reads the file. */
function flagComment(flag: string): string {
  return `    # Suspended while ${flag} exists: 503 with the page, neither the site nor the daemon reached.`;
}

/**
 * The vhost file. It checks the vhost's suspension flag on every request
 * (a stat of one file): while the flag exists every request is answered 503
 * with the page before the site's directory or the member's daemon is
 * reached, so suspending and resuming are the creation and removal of the
 * flag, with no configuration change, no test and no reload (what hosting
 * panels do for maintenance flags). The page is the server's own answer to
 * that 503 only: a 503 of the member's daemon passes through as the daemon
 * sent it (nginx intercepts proxied errors only with proxy_intercept_errors,
 * Apache only with ProxyErrorOverride). Static roots follow only symbolic
 * links whose owner owns the target too (a member's link to another
 * member's files is refused), as the shared web servers of hosting co-ops do.
 */
export function renderVhost(spec: VhostSpec, options: RenderOptions): RenderedVhost {
  const text = (tag: string | null): string => {
    const body = options.server === 'nginx' ? nginxLines(spec, options, tag) : apacheLines(spec, options, tag);
    return `${[markerLine(spec), ...body].join('\n')}\n`;
  };
  if (!options.tagged) return { content: text(null), tag: null };
  // The tag is a digest of the file without it: a reload that has not happened yet (or an old worker) answers with another tag or none.
  const tag = createHash('sha256').update(text(null)).digest('hex').slice(0, 16);
  return { content: text(tag), tag };
}

function nginxLines(spec: VhostSpec, options: RenderOptions, tag: string | null): string[] {
  const lines = ['server {', ...options.listen.map((l) => `    listen ${l};`), `    server_name ${spec.names.join(' ')};`];
  if (tag !== null) lines.push(`    add_header ${TAG_HEADER} "${tag}" always;`);
  const flag = flagPath(options.flagDir, spec.name);
  // `return` inside a server-level `if` is one of the uses of `if` that are safe; the named location gives the 503 its page and type.
  lines.push(
    flagComment(flag),
    '    error_page 503 @roster_suspended;',
    `    if (-f "${flag}") {`,
    '        return 503;',
    '    }',
    '    location @roster_suspended {',
    '        default_type text/html;',
    `        return 503 "${options.page}";`,
    '    }',
  );
  if ('root' in spec.serve) {
    lines.push(`    root "${spec.serve.root}";`, '    index index.html index.htm;', '    disable_symlinks if_not_owner;');
  } else {
    lines.push(
      '    location / {',
      `        proxy_pass http://${spec.serve.proxy};`,
      '        proxy_set_header Host $host;',
      '        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
      '        proxy_set_header X-Forwarded-Proto $scheme;',
      '    }',
    );
  }
  lines.push('}');
  return lines;
}

/** Apache's `<VirtualHost>` takes addresses with a port; a bare port listens on every address. */
function apacheAddress(listen: string): string {
  return /^\d+$/.test(listen) ? `*:${listen}` : listen;
}

function apacheLines(spec: VhostSpec, options: RenderOptions, tag: string | null): string[] {
  const [name, ...aliases] = spec.names;
  const lines = [`<VirtualHost ${options.listen.map(apacheAddress).join(' ')}>`, `    ServerName ${name ?? spec.name}`];
  if (aliases.length > 0) lines.push(`    ServerAlias ${aliases.join(' ')}`);
  // mod_headers; "always" puts it on the 503 too.
  if (tag !== null) lines.push(`    Header always set ${TAG_HEADER} "${tag}"`);
  // mod_rewrite in the server context runs before the proxy and the file mapping; a status outside 3xx drops the substitution and stops there. The quoted ErrorDocument text is the body.
  const flag = flagPath(options.flagDir, spec.name);
  lines.push(flagComment(flag), '    RewriteEngine On', `    RewriteCond "${flag}" -f`, '    RewriteRule ^ - [R=503,L]', `    ErrorDocument 503 "${options.page}"`);
  if ('root' in spec.serve) {
    const root = spec.serve.root;
    lines.push(
      `    DocumentRoot "${root}"`,
      `    <Directory "${root}">`,
      '        Options SymLinksIfOwnerMatch',
      '        AllowOverride None',
      '        Require all granted',
      '    </Directory>',
    );
  } else {
    const url = `http://${spec.serve.proxy}/`;
    lines.push('    ProxyPreserveHost On', `    ProxyPass "/" "${url}"`, `    ProxyPassReverse "/" "${url}"`);
  }
  lines.push('</VirtualHost>');
  return lines;
}
