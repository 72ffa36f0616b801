import type { DoctorCheck } from './doctor-check.js';

export interface DoctorSummary {
  readonly ok: number;
  readonly warn: number;
  readonly fail: number;
}

export function summariseDoctor(checks: readonly DoctorCheck[]): DoctorSummary {
  return {
    ok: checks.filter((c) => c.status === 'ok').length,
    warn: checks.filter((c) => c.status === 'warn').length,
    fail: checks.filter((c) => c.status === 'fail').length,
  };
}

/** One line per finding (`fail shell pam: …`), its fix on the next line, then the counts. */
export function formatDoctor(checks: readonly DoctorCheck[]): string {
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${c.status.padEnd(4)} ${c.host === undefined ? '' : `${c.host} `}${c.check}: ${c.message}`);
    if (c.fix !== undefined) lines.push(`     fix: ${c.fix}`);
  }
  const s = summariseDoctor(checks);
  lines.push(`${s.ok} ok, ${s.warn} warning${s.warn === 1 ? '' : 's'}, ${s.fail} failed`);
  return lines.join('\n');
}
