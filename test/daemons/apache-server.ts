import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { startWebDaemon, type WebDaemon } from './web-daemon.js';

export interface ApacheOptions {
  /** The directory whose `*.conf` files the configuration includes (the vhosts target's `dir`, under the test's root prefix). */
  readonly includeDir: string;
}

const MODULES = '/usr/lib/apache2/modules';


const PID_FILE = 'apache2.pid';
/** What the rendered vhosts use: the event MPM, Require, Redirect, DirectoryIndex, types, the tag header verify reads, the proxy to members' daemons, and mod_rewrite, which checks the suspension flag. */
const LOADED = [
  ['mpm_event_module', 'mod_mpm_event.so'],
  ['authz_core_module', 'mod_authz_core.so'],
  ['alias_module', 'mod_alias.so'],
  ['dir_module', 'mod_dir.so'],
  ['mime_module', 'mod_mime.so'],
  ['headers_module', 'mod_headers.so'],
  ['proxy_module', 'mod_proxy.so'],
  ['proxy_http_module', 'mod_proxy_http.so'],
  ['rewrite_module', 'mod_rewrite.so'],
] as const;

/**
 * A throwaway Apache for a test file (DESIGN.md §8): `apache2 -f CONF
 * -DFOREGROUND` as a child of the test, with its own configuration (the
 * modules it needs loaded from /usr/lib/apache2/modules, no include of
 * /etc/apache2), listening on a free port on 127.0.0.1 only, with its PID
 * file, runtime files and logs in a temp dir; the workers run as www-data.
 * The first vhost answers 404 for host names no included file serves.
 * Stopped by its PID.
 */
export async function startApache(options: ApacheOptions): Promise<WebDaemon> {
  const dir = await mkdtemp(join(tmpdir(), 'roster-apache-'));
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'logs'));
  await mkdir(options.includeDir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'apache2.conf');
  const errorLog = join(dir, 'logs', 'error.log');
  await writeFile(
    conf,
    [
      `ServerRoot ${dir}`,
      `DefaultRuntimeDir ${dir}`,
      `PidFile ${join(dir, PID_FILE)}`,
      `ErrorLog ${errorLog}`,
      'LogLevel notice',
      `Listen 127.0.0.1:${port}`,
      'ServerName localhost',
      'User www-data',
      'Group www-data',
      ...LOADED.map(([name, file]) => `LoadModule ${name} ${join(MODULES, file)}`),
      'TypesConfig /etc/mime.types',
      '<Directory />',
      '    AllowOverride None',
      '    Require all denied',
      '</Directory>',
      `<VirtualHost 127.0.0.1:${port}>`,
      '    ServerName default.invalid',
      '    Redirect 404 /',
      '</VirtualHost>',
      `IncludeOptional ${options.includeDir}/*.conf`,
      '',
    ].join('\n'),
  );
  const base = ['apache2', '-f', conf];
  return startWebDaemon({
    server: 'apache',
    dir,
    port,
    includeDir: options.includeDir,
    errorLogPath: errorLog,
    startArgv: [...base, '-DFOREGROUND'],
    testArgv: [...base, '-t'],
    reloadArgv: [...base, '-k', 'graceful'],
    pidFile: join(dir, PID_FILE),
    stopSignal: 'SIGTERM',
  });
}
