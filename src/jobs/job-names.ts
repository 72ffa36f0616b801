/** The scheduled jobs, in the order `roster jobs run` runs them (kept apart so the CLI names them without loading the jobs). */
export const JOB_NAMES = ['purge', 'billing', 'apply', 'notify'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export function isJobName(name: string): name is JobName {
  return (JOB_NAMES as readonly string[]).includes(name);
}
