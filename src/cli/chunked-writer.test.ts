import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chunkedWriter, writeJsonObject } from './chunked-writer.js';

async function written(fn: (out: ReturnType<typeof chunkedWriter>) => Promise<void>, highWaterMark = 16): Promise<{ text: string; chunks: number }> {
  // A tiny buffer, read slowly: the writer must wait for 'drain' and lose nothing.
  const stream = new PassThrough({ highWaterMark });
  const parts: string[] = [];
  const reading = (async () => {
    for await (const chunk of stream) {
      parts.push(String(chunk));
      await new Promise((resolve) => setImmediate(resolve));
    }
  })();
  await fn(chunkedWriter(stream));
  stream.end();
  await reading;
  return { text: parts.join(''), chunks: parts.length };
}

describe('chunkedWriter', () => {
  it('writes every line in order, in chunks rather than one string, waiting on a slow reader', async () => {
    const n = 50_000;
    const { text, chunks } = await written(async (out) => {
      for (let i = 0; i < n; i++) await out.line(`line ${i}`);
      await out.end();
    });
    const lines = text.split('\n');
    expect(lines).toHaveLength(n + 1);
    expect(lines[0]).toBe('line 0');
    expect(lines[n - 1]).toBe(`line ${n - 1}`);
    expect(chunks).toBeGreaterThan(5);
  });

  it('writeJsonObject gives what JSON.stringify gives, arrays one element a line', async () => {
    const value = { source: 'school', dryRun: false, rows: 3, summary: { created: 2, nested: [1, 2] }, changes: [{ a: 1 }, { b: 'x\ny' }, null], notes: [], passwords: null, skipped: undefined };
    const { text } = await written((out) => writeJsonObject(out, value));
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
    expect(text.split('\n')).toContain('    {"b":"x\\ny"},');
  });

  /** A stream that takes `chunks` writes and then fails every write with `code`, as a closed pipe does. */
  function failing(code: string, chunks: number): { stream: Writable; writes: () => number } {
    let writes = 0;
    const stream = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, callback) {
        writes++;
        if (writes > chunks) callback(Object.assign(new Error(`write ${code}`), { code }));
        else setImmediate(callback);
      },
    });
    return { stream, writes: () => writes };
  }

  it('a reader that goes away (EPIPE) ends the report quietly and nothing more is written', async () => {
    const { stream, writes } = failing('EPIPE', 2);
    const out = chunkedWriter(stream);
    for (let i = 0; i < 100_000; i++) await out.line(`line ${i} ${'x'.repeat(20)}`);
    await out.end();
    expect(writes()).toBe(3);
  });

  it('any other write error is thrown', async () => {
    const { stream } = failing('ENOSPC', 1);
    const out = chunkedWriter(stream);
    const writing = (async () => {
      for (let i = 0; i < 100_000; i++) await out.line(`line ${i} ${'x'.repeat(20)}`);
      await out.end();
    })();
    await expect(writing).rejects.toThrow('write ENOSPC');
  });
});
