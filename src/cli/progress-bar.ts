/** What a long run reports progress to (DESIGN.md §5: a bar on a terminal, nothing otherwise). */
export interface Progress {
  update(done: number, total: number, note?: string): void;
  done(): void;
}

const silent: Progress = { update: () => undefined, done: () => undefined };

/**
 * A one-line progress bar on stderr, redrawn at most ten times a second.
 * Only on a terminal: piped or redirected stderr (cron, CI, `2>log`) gets
 * nothing, so logs stay clean and stdout stays parseable.
 */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!stream.isTTY) return silent;
  let last = 0;
  let drawn = false;
  // @types/node types columns as a number, but a stream can lose its terminal (columns undefined) while drawing.
  const width = (): number => Math.max(10, Math.min(40, ((stream.columns as number | undefined) ?? 80) - label.length - 30));
  return {
    update(done, total, note = '') {
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      const share = total <= 0 ? 1 : Math.min(1, done / total);
      const filled = Math.round(share * width());
      stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width() - filled)}] ${String(Math.floor(share * 100)).padStart(3)}% ${note}\x1b[K`);
      drawn = true;
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
