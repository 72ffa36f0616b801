import { createHash } from 'node:crypto';
import { markerLine, type VhostMarker } from './vhost-marker.js';

/** What one vhost file says, from the desired state alone: the same state renders the same bytes (so an unfreeze gives back the files of before the freeze). */
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

/**
 * The vhost file. While suspended it answers every request with 503 and the
 * page, and names neither the member's directory nor the daemon, so neither
 * is reached. Static roots follow only symbolic links whose owner owns the
 * target too (a member's link to another member's files is refused), as the
 * shared web servers of hosting co-ops do.
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
  if (spec.state === 'suspended') {
    lines.push('    default_type text/html;', `    return 503 "${options.page}";`);
  } else if ('root' in spec.serve) {
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
  if (spec.state === 'suspended') {
    // mod_alias answers every path with 503; the quoted text is the body.
    lines.push('    Redirect 503 /', `    ErrorDocument 503 "${options.page}"`);
  } else if ('root' in spec.serve) {
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
