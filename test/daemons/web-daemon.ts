import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { stopChild } from './stop-child.js';

/**
 * A web server (nginx or Apache) a test file started in the foreground as
 * its own child, on a free loopback port, with its configuration, logs and
 * PID file in a temp dir; stopped by that child's PID, never by name.
 */
export interface WebDaemon {
  readonly server: 'nginx' | 'apache';
  /** The temp dir holding its configuration, logs and PID file. */
  readonly dir: string;
  readonly port: number;
  /** `127.0.0.1:port`: where it listens, for `listen` and `verify.http`. */
  readonly address: string;
  /** The directory its configuration includes `*.conf` from. */
  readonly includeDir: string;
  readonly pid: number;
  /** Checks the configuration of this instance (the target's `test`). */
  readonly testArgv: readonly string[];
  /** Makes this instance load its configuration again (the target's `reload`). */
  readonly reloadArgv: readonly string[];
  /** Where the master writes its PID (the target's `reload: { pidFile }`). */
  readonly pidFile: string;
  /** What it wrote to its error log so far. */
  errorLog(): Promise<string>;
  /** Stops it and removes its temp dir. */
  stop(): Promise<void>;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface DaemonStart {
  readonly server: 'nginx' | 'apache';
  readonly dir: string;
  readonly port: number;
  readonly includeDir: string;
  readonly errorLogPath: string;
  /** Runs it in the foreground (nginx `daemon off;`, apache2 -DFOREGROUND). */
  readonly startArgv: readonly string[];
  readonly testArgv: readonly string[];
  readonly reloadArgv: readonly string[];
  readonly pidFile: string;
  /** The signal that stops it at once (both stop on SIGTERM). */
  readonly stopSignal: NodeJS.Signals;
}

/** Starts the daemon as a child and waits until it accepts connections on its port. */
export async function startWebDaemon(start: DaemonStart): Promise<WebDaemon> {
  const [program, ...args] = start.startArgv;
  if (program === undefined) throw new Error('empty start command');
  let output = '';
  const child: ChildProcess = spawn(program, args, { cwd: start.dir, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  const pid = child.pid;
  const errorLog = (): Promise<string> => readFile(start.errorLogPath, 'utf8').catch(() => '');
  if (pid === undefined) throw new Error(`${program} did not start: ${output}`);
  const deadline = Date.now() + 20_000;
  while (!(await accepts(start.port))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${program} exited (${child.exitCode ?? child.signalCode}):\n${output}\n${await errorLog()}`);
    if (Date.now() > deadline) {
      child.kill(start.stopSignal);
      throw new Error(`${program} did not listen on 127.0.0.1:${start.port} within 20 s:\n${output}\n${await errorLog()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    server: start.server,
    dir: start.dir,
    port: start.port,
    address: `127.0.0.1:${start.port}`,
    includeDir: start.includeDir,
    pid,
    testArgv: start.testArgv,
    reloadArgv: start.reloadArgv,
    pidFile: start.pidFile,
    errorLog,
    async stop() {
      // Its workers follow their master.
      await stopChild(child, start.stopSignal, 10_000);
      await rm(start.dir, { recursive: true, force: true });
    },
  };
}
