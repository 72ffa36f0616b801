/** ok: nothing to do; warn: works, but something deserves a look; fail: a target or command will not do what roster.yaml says. */
export type DoctorStatus = 'ok' | 'warn' | 'fail';

/** One finding of `roster doctor`: what was checked, for which host and target, and what to do when it is not ok. */
export interface DoctorCheck {
  readonly check: string;
  readonly host?: string;
  readonly target?: string;
  readonly status: DoctorStatus;
  readonly message: string;
  /** A concrete command or config line; present whenever the status is not ok. */
  readonly fix?: string;
}

/** Where a finding belongs: the check's name, and the host and target it is about, if any. */
export interface CheckSubject {
  readonly check: string;
  readonly host?: string;
  readonly target?: string;
}

export function passed(subject: CheckSubject, message: string): DoctorCheck {
  return { ...subject, status: 'ok', message };
}

export function warned(subject: CheckSubject, message: string, fix: string): DoctorCheck {
  return { ...subject, status: 'warn', message, fix };
}

export function failed(subject: CheckSubject, message: string, fix: string): DoctorCheck {
  return { ...subject, status: 'fail', message, fix };
}
