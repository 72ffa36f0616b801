/**
 * Offsets of the lines of `bytes` that begin with `prefix`, in file order
 * (the first line counts too): a native substring search for the prefix
 * after a newline, so a file of 100,000 lines is never split to find a few.
 * `encoding` says how `prefix` is turned into bytes.
 */
export function* lineStartsWith(bytes: Buffer, prefix: string, encoding: BufferEncoding = 'utf8'): Generator<number> {
  if (prefix === '') return;
  const head = Buffer.from(prefix, encoding);
  if (bytes.subarray(0, head.length).equals(head)) yield 0;
  const key = Buffer.concat([Buffer.from('\n'), head]);
  for (let i = bytes.indexOf(key); i >= 0; i = bytes.indexOf(key, i + 1)) yield i + 1;
}
