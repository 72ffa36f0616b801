import { request } from 'node:http';
import { errorMessage } from '../../domain/errors.js';
import { TAG_HEADER } from './render-vhost.js';

export interface ProbeAnswer {
  readonly status: number;
  readonly body: string;
  /** The value of the vhost's tag header, if it sent one. */
  readonly tag: string | null;
}

/** Bodies are compared with the suspended page, which is at most a few KiB; more is not read. */
const MAX_BODY = 64 * 1024;

/**
 * `GET /` with `Host: name` sent to `address` (`127.0.0.1:80`, `[::1]:80`):
 * what the web server answers for that vhost, or why it did not answer.
 * A fresh connection each time, so an old worker's kept-alive connection
 * does not answer for the reloaded server.
 */
export function probeVhost(address: string, name: string, timeoutMs: number, tagHeader = TAG_HEADER): Promise<ProbeAnswer | { readonly error: string }> {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(at + 1));
  return new Promise((resolve) => {
    const req = request({ host, port, path: '/', method: 'GET', headers: { Host: name, Connection: 'close' }, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < MAX_BODY) chunks.push(c);
        size += c.length;
      });
      const tag = res.headers[tagHeader.toLowerCase()];
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), tag: typeof tag === 'string' ? tag : null }));
      res.on('error', (e) => resolve({ error: errorMessage(e) }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (e) => resolve({ error: errorMessage(e) }));
    req.end();
  });
}
