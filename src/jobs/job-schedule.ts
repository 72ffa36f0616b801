import { Cron } from 'croner';
import { errorMessage, RosterError } from '../domain/errors.js';

const crons = new Map<string, Cron>();

/**
 * A croner pattern used only as a calculator (paused, no callback): the
 * scheduler keeps its own injected clock and timer, so schedules can be
 * tested and replayed (`--now`) without waiting for real time.
 */
function cronFor(schedule: string, timeZone: string): Cron {
  const key = `${timeZone}\u0000${schedule}`;
  let cron = crons.get(key);
  if (cron === undefined) {
    try {
      cron = new Cron(schedule, { timezone: timeZone, paused: true, mode: '5-part' });
    } catch (e) {
      throw new RosterError('bad_config', `schedule "${schedule}" is not a valid cron expression: ${errorMessage(e)}`);
    }
    crons.set(key, cron);
  }
  return cron;
}

/** The first scheduled instant strictly after `after`, in the zone's wall time (DST handled by croner). */
export function nextSlot(schedule: string, timeZone: string, after: Date): Date | null {
  return cronFor(schedule, timeZone).nextRun(after);
}

/**
 * The most recent scheduled instant at or before `now`: the slot a run at
 * `now` covers. A purge at 04:49:59 belongs to yesterday's 04:50 slot, one
 * at 04:50:00 to today's.
 */
export function latestSlot(schedule: string, timeZone: string, now: Date): Date | null {
  // croner's previousRuns excludes its reference; look from just past `now`.
  const candidates = cronFor(schedule, timeZone).previousRuns(2, new Date(now.getTime() + 1000));
  return candidates.find((c) => c.getTime() <= now.getTime()) ?? null;
}
