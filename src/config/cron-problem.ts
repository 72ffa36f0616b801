const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  // cron accepts both 0 and 7 for Sunday.
  { name: 'day of week', min: 0, max: 7 },
] as const;

const ITEM = /^(?:\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/;

/** Why a five-field cron expression is unusable, or null when it is fine. */
export function cronProblem(expression: string): string | null {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== FIELDS.length) {
    return `must have 5 fields (minute hour day-of-month month day-of-week), got ${fields.length}`;
  }
  for (const [i, field] of fields.entries()) {
    const spec = FIELDS[i];
    if (spec === undefined) continue;
    if (!/^[0-9*,/-]+$/.test(field)) return `${spec.name} field "${field}" may only contain digits and * , / -`;
    for (const item of field.split(',')) {
      const m = ITEM.exec(item);
      if (m === null) return `${spec.name} field "${field}" is not a valid list of values, ranges and steps`;
      const [, from, to, step] = m;
      for (const n of [from, to]) {
        if (n !== undefined && (Number(n) < spec.min || Number(n) > spec.max)) {
          return `${spec.name} ${n} is outside ${spec.min}-${spec.max}`;
        }
      }
      if (from !== undefined && to !== undefined && Number(from) > Number(to)) return `${spec.name} range ${from}-${to} runs backwards`;
      if (step !== undefined && Number(step) === 0) return `${spec.name} step must be at least 1`;
    }
  }
  return null;
}
