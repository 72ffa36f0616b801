const formatters = new Map<string, Intl.DateTimeFormat>();

/** `2026-12-04 22:55` in the site's zone: the console's tables state the zone once, not in every cell. */
export function consoleTime(iso: string, timeZone: string): string {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    formatters.set(timeZone, f);
  }
  const p = Object.fromEntries(f.formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.year ?? ''}-${p.month ?? ''}-${p.day ?? ''} ${p.hour ?? ''}:${p.minute ?? ''}`;
}

const UNITS: ReadonlyArray<readonly [string, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/**
 * How long ago `iso` was at `now`, in its largest whole unit ("3 hours
 * ago", "just now"): how stale a host's report is, read at a glance. A time
 * ahead of `now` (a host clock ahead) reads "just now" too.
 */
export function elapsedWords(iso: string, now: Date): string {
  const ms = now.getTime() - new Date(iso).getTime();
  for (const [unit, size] of UNITS) {
    const n = Math.floor(ms / size);
    if (n >= 1) return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  }
  return 'just now';
}
