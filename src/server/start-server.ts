import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';
import { RosterError } from '../domain/errors.js';

export interface RunningServer {
  /** `http://127.0.0.1:PORT`, with the port the system chose when asked for 0. */
  readonly url: string;
  close(): Promise<void>;
}

/** Parses `host:port` or `[v6]:port` (validated by the config schema, and here again for --listen). */
export function parseListen(text: string): { readonly host: string; readonly port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  const host = m?.[1] ?? m?.[2];
  if (host === undefined || !(port >= 0 && port <= 65_535)) throw new RosterError('usage', `--listen "${text}" must be host:port such as 127.0.0.1:8080`, [{ where: '--listen', message: 'expected host:port' }]);
  return { host, port };
}

/** Listens with Node's HTTP server (@hono/node-server); resolves once the socket is bound. */
export function startServer(app: Hono, listen: string): Promise<RunningServer> {
  const { host, port } = parseListen(listen);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      const shown = info.family === 'IPv6' ? `[${info.address}]` : info.address;
      resolve({
        url: `http://${shown}:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            // Keep-alive connections would hold close() open until they time out.
            if ('closeAllConnections' in server) server.closeAllConnections();
          }),
      });
    });
    server.once('error', (e: NodeJS.ErrnoException) => reject(new RosterError('unavailable', `cannot listen on ${listen}: ${e.message}`)));
  });
}
