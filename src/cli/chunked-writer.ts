import type { Writable } from 'node:stream';

export interface ChunkedWriter {
  /** Appends one line (a newline is added). */
  line(text: string): Promise<void>;
  /** Writes what is buffered. */
  end(): Promise<void>;
}

const CHUNK = 64 * 1024;

/**
 * Writes a long report as it is produced, in chunks of about 64 KiB, and
 * waits when the stream asks it to (a slow pipe or terminal): a sync of
 * 100,000 rows has some 200,000 lines, which must never be one string or
 * one call with as many arguments. A reader that goes away (`| head`: EPIPE)
 * ends the report quietly, as it ends `cat`; any other write error is thrown.
 */
export function chunkedWriter(stream: Writable): ChunkedWriter {
  let buffer = '';
  let failed: NodeJS.ErrnoException | null = null;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    failed = e;
  });
  const check = (): boolean => {
    const e: NodeJS.ErrnoException | null = failed;
    if (e === null) return true;
    if (e.code === 'EPIPE') return false;
    throw e;
  };
  const flush = async (): Promise<void> => {
    if (buffer === '' || !check()) return;
    const text = buffer;
    buffer = '';
    if (!stream.write(text)) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          stream.off('drain', done);
          stream.off('error', done);
          resolve();
        };
        stream.on('drain', done);
        stream.on('error', done);
      });
    }
    check();
  };
  return {
    async line(text) {
      if (!check()) return;
      buffer += `${text}\n`;
      if (buffer.length >= CHUNK) await flush();
    },
    end: flush,
  };
}

/**
 * A JSON object written member by member, and the members that are arrays
 * element by element (one line each), so the text is never built whole. The
 * value is what JSON.stringify would give for `value`.
 */
/** JSON.stringify, typed as it behaves: undefined (not text) for undefined and functions, which its declared `string` hides. */
const jsonText = (v: unknown, space?: number): string | undefined => JSON.stringify(v, null, space);

export async function writeJsonObject(out: ChunkedWriter, value: Readonly<Record<string, unknown>>): Promise<void> {
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  await out.line('{');
  for (const [i, [key, v]] of entries.entries()) {
    const comma = i === entries.length - 1 ? '' : ',';
    if (Array.isArray(v) && v.length > 0) {
      await out.line(`  ${JSON.stringify(key)}: [`);
      for (let k = 0; k < v.length; k++) await out.line(`    ${jsonText(v[k]) ?? 'null'}${k === v.length - 1 ? '' : ','}`);
      await out.line(`  ]${comma}`);
    } else {
      await out.line(`  ${JSON.stringify(key)}: ${(jsonText(v, 2) ?? 'null').replaceAll('\n', '\n  ')}${comma}`);
    }
  }
  await out.line('}');
  await out.end();
}
