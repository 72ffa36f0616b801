import { chmod, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { startWebDaemon, type WebDaemon } from './web-daemon.js';

export interface NginxOptions {
  /** The directory whose `*.conf` files the `http` block includes (the vhosts target's `dir`, under the test's root prefix). */
  readonly includeDir: string;
}

/**
 * A throwaway nginx for a test file (DESIGN.md §8): `nginx -p DIR -c CONF -e LOG`
 * with `daemon off;` as a child of the test, listening on a free port on
 * 127.0.0.1 only, with its PID file, logs and temp paths in a temp dir, so
 * nothing of /etc/nginx, /var/log/nginx or port 80 is used. A default server
 * answers 404 for host names no included file serves. Stopped by its PID.
 */
export async function startNginx(options: NginxOptions): Promise<WebDaemon> {
  const dir = await mkdtemp(join(tmpdir(), 'roster-nginx-'));
  // The workers run as www-data and keep their temp files here.
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'logs'));
  await mkdir(options.includeDir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  const errorLog = join(dir, 'logs', 'error.log');
  const pidFile = join(dir, 'nginx.pid');
  await writeFile(
    conf,
    [
      'daemon off;',
      'worker_processes 1;',
      'user www-data;',
      `pid ${pidFile};`,
      `error_log ${errorLog} notice;`,
      'events { worker_connections 128; }',
      'http {',
      `    access_log ${join(dir, 'logs', 'access.log')};`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${join(dir, `${t}-temp`)};`),
      `    server { listen 127.0.0.1:${port} default_server; return 404; }`,
      `    include ${options.includeDir}/*.conf;`,
      '}',
      '',
    ].join('\n'),
  );
  // -e: the error log before the configuration is read, which would otherwise be /var/log/nginx/error.log.
  const base = ['nginx', '-p', dir, '-c', conf, '-e', errorLog];
  return startWebDaemon({
    server: 'nginx',
    dir,
    port,
    includeDir: options.includeDir,
    errorLogPath: errorLog,
    startArgv: base,
    testArgv: [...base, '-t'],
    reloadArgv: [...base, '-s', 'reload'],
    pidFile,
    stopSignal: 'SIGTERM',
  });
}
