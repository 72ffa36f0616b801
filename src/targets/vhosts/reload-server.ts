import { readFile } from 'node:fs/promises';
import { errorMessage } from '../../domain/errors.js';
import { rootedPath } from '../../system/rooted-path.js';
import { runCommand, type RunCommand } from '../../system/run-command.js';
import { commandOutput, type Reload } from './apply-checked-edits.js';
import type { VhostsConfig } from './vhosts-config.js';

/** What each server's master process is called (/proc/PID/comm) and the signal that is its graceful reload. */
const MASTER: Readonly<Record<VhostsConfig['server'], { readonly names: readonly string[]; readonly signal: NodeJS.Signals }>> = {
  // nginx(8): HUP starts new workers with the new configuration and lets the old ones finish.
  nginx: { names: ['nginx'], signal: 'SIGHUP' },
  // apachectl(8) graceful is USR1 to the parent.
  apache: { names: ['apache2', 'httpd'], signal: 'SIGUSR1' },
};

/** The configured reload: a command (default `nginx -s reload` / `apache2ctl graceful`), or the graceful signal to the master named in `pidFile`. */
export function configuredReload(config: VhostsConfig, root: string, run: RunCommand = runCommand): Reload {
  const reload = config.reload;
  if (reload !== undefined && !Array.isArray(reload)) return () => signalMaster(rootedPath(root, reload.pidFile), config.server);
  const argv = reload ?? (config.server === 'nginx' ? ['nginx', '-s', 'reload'] : ['apache2ctl', 'graceful']);
  return async () => {
    const result = await run(argv);
    return result.code === 0 ? null : commandOutput(argv, result);
  };
}

/**
 * Sends the server's graceful reload signal to the PID in `pidFile`, which
 * is what `nginx -s reload` does after parsing the whole configuration only
 * to find that file (a quarter of a second with 10,000 vhosts, on every
 * change). The process must be the server's master by its name, so a PID
 * file left behind by a server that died never signals whatever process
 * has that number now.
 */
export async function signalMaster(pidFile: string, server: VhostsConfig['server']): Promise<string | null> {
  const master = MASTER[server];
  let pid: number;
  try {
    const text = (await readFile(pidFile, 'utf8')).trim();
    if (!/^[1-9]\d{0,9}$/.test(text)) return `${pidFile} does not hold a process id (${JSON.stringify(text.slice(0, 20))})`;
    pid = Number(text);
  } catch (e) {
    return `cannot read the ${server} PID file ${pidFile}: ${errorMessage(e)}`;
  }
  let name: string;
  try {
    name = (await readFile(`/proc/${String(pid)}/comm`, 'utf8')).trim();
  } catch {
    return `no process ${String(pid)} (named in ${pidFile}) is running: is ${server} up?`;
  }
  if (!master.names.includes(name)) return `process ${String(pid)} named in ${pidFile} is ${name}, not the ${server} master; not signalled`;
  try {
    process.kill(pid, master.signal);
  } catch (e) {
    return `cannot send ${master.signal} to ${server} (PID ${String(pid)}): ${errorMessage(e)}`;
  }
  return null;
}
