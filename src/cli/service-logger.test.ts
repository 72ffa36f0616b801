import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { withLogFields } from '../app/log-fields.js';
import { serviceLogger } from './service-logger.js';

/** A real stream that keeps what pino wrote to it. */
function sink(): { readonly stream: Writable; text(): string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}

describe('serviceLogger', () => {
  it('writes one JSON object per line with level, name, message, the call’s fields and those bound around it', () => {
    const out = sink();
    const log = serviceLogger({ name: 'roster-serve', format: 'json', destination: out.stream });
    log.info('listening');
    withLogFields({ reqId: 'r-1' }, () => {
      log.warn('GET /api/v1/hosts 500', { status: 500, route: '/api/v1/hosts' });
      withLogFields({ host: 'shell' }, () => log.info('inner'));
    });
    log.info('after');
    const lines = out.text().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({ level: 'info', name: 'roster-serve', msg: 'listening', pid: process.pid });
    expect(lines[0]).not.toHaveProperty('reqId');
    expect(new Date(String(lines[0]?.time)).toISOString()).toBe(lines[0]?.time);
    expect(lines[1]).toMatchObject({ level: 'warn', msg: 'GET /api/v1/hosts 500', reqId: 'r-1', status: 500, route: '/api/v1/hosts' });
    expect(lines[2]).toMatchObject({ msg: 'inner', reqId: 'r-1', host: 'shell' });
    expect(lines[3]).not.toHaveProperty('reqId');
  });

  it('writes one readable line per message in the pretty format, without colours when told so', () => {
    const out = sink();
    const log = serviceLogger({ name: 'roster-agent', format: 'pretty', destination: out.stream, colorize: false });
    withLogFields({ reqId: 'r-2' }, () => log.warn('server not reached'));
    const lines = out.text().trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] WARN: server not reached \{"reqId":"r-2"\}$/);
    expect(out.text()).not.toContain('\u001b[');
  });
});
