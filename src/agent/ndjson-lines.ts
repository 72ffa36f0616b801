/** Longest line taken (in UTF-16 units): well under the longest string an engine holds, far over any one entry or a host's rest. */
export const MAX_NDJSON_LINE = 256 * 1024 * 1024;

/**
 * The lines of an NDJSON body, a batch per chunk received (DESIGN.md §10:
 * at 1,000,000 accounts a whole state is larger than the longest string,
 * so it is never held as one). Only the chunk in hand and the line it
 * ends in are kept: the next chunk is read when the caller asks for the
 * next batch, so a slow consumer slows the transfer instead of buffering
 * it. `onChunk` is called per chunk (an idle timeout reset by progress).
 * Blank lines are skipped; a last line without its newline is yielded.
 */
export async function* ndjsonLines(body: ReadableStream<Uint8Array>, onChunk?: () => void, maxLine = MAX_NDJSON_LINE): AsyncGenerator<string[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  // The line the last chunk ended in, in pieces: a long line over many chunks is joined once.
  let partial: string[] = [];
  let partialLength = 0;
  let done = false;
  try {
    for (;;) {
      const next = await reader.read();
      onChunk?.();
      const text = next.done ? decoder.decode() : decoder.decode(next.value, { stream: true });
      const lines: string[] = [];
      let from = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
        const piece = text.slice(from, nl);
        const line = partial.length === 0 ? piece : partial.join('') + piece;
        partial = [];
        partialLength = 0;
        if (line.length > maxLine) throw new Error(`a line is longer than ${maxLine} characters`);
        if (line.trim() !== '') lines.push(line);
        from = nl + 1;
      }
      if (from < text.length) {
        partial.push(text.slice(from));
        partialLength += text.length - from;
        if (partialLength > maxLine) throw new Error(`a line is longer than ${maxLine} characters`);
      }
      if (next.done) {
        done = true;
        const last = partial.join('');
        if (last.trim() !== '') lines.push(last);
        if (lines.length > 0) yield lines;
        return;
      }
      if (lines.length > 0) yield lines;
    }
  } finally {
    // Stopped early (a line that does not check, a consumer that gave up): the rest is not downloaded.
    if (!done) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
