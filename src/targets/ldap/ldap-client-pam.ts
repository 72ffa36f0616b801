import { posix } from 'node:path';
import { pamOutcome, type PamCode, type PamOutcome } from '../../doctor/pam-outcome.js';
import { failed, passed, warned, type CheckSubject, type DoctorCheck } from '../../doctor/doctor-check.js';
import { moduleName, ruleSkipping, type PamRule } from '../../doctor/pam-rules.js';
import { readPamService, type PamService } from '../../doctor/read-pam-service.js';

/**
 * What the modules answer for one directory account in one situation, by
 * module file name without `.so`. Modules not named answer success: the
 * doctor assumes an unknown module lets an active account through, which can
 * only make a stack look more permissive than it is (so a lock it calls
 * enforced is enforced).
 */
export type Situation = Readonly<Record<string, PamCode>>;

// pam_deny refuses everything; pam_rootok answers for the caller, and a person logging in is not root;
// pam_localuser finds only /etc/passwd's accounts (Debian's sss profile puts it `sufficient` before pam_sss).
const FIXED: Situation = { pam_deny: 'auth_err', pam_permit: 'success', pam_rootok: 'auth_err', pam_localuser: 'perm_denied' };

function returns(situation: Situation): (rule: PamRule) => PamCode {
  return (rule) => {
    const name = moduleName(rule).replace(/\.so$/, '');
    return situation[name] ?? FIXED[name] ?? 'success';
  };
}

/** A PAM service's stack of one type, judged for an active and a locked directory account. */
export interface LockVerdict {
  readonly service: PamService;
  readonly type: 'account' | 'auth';
  /** The stack refuses the account even while active: the lock verdict then says nothing. */
  readonly activeRefused: PamOutcome | null;
  readonly locked: PamOutcome;
}

export function judgeStack(service: PamService, type: 'account' | 'auth', active: Situation, locked: Situation): LockVerdict {
  const stack = service.rules.filter((r) => r.type === type);
  const a = pamOutcome(stack, returns(active));
  return { service, type, activeRefused: a.granted ? null : a, locked: pamOutcome(stack, returns(locked)) };
}

/** The services people log in with on a Debian host; a lock must hold in each that is installed. */
export const LOGIN_SERVICES = ['sshd', 'login', 'su'] as const;

/**
 * The installed PAM services among `names`, or, when none is, the Debian
 * common file of that stack read as a service (what a service without its
 * own file includes); empty when even that is missing.
 */
export async function pamServices(root: string, names: readonly string[], common: 'common-account' | 'common-auth'): Promise<PamService[]> {
  const found: PamService[] = [];
  for (const name of new Set(names)) {
    const s = await readPamService(root, name);
    if (s !== null) found.push(s);
  }
  if (found.length > 0) return found;
  const fallback = await readPamService(root, common);
  return fallback === null ? [] : [fallback];
}

/** `"account requisite pam_deny.so" in /root/etc/pam.d/common-account`: the rule that decided, for a message. */
export function describeRule(root: string, rule: PamRule | null): string {
  if (rule === null) return 'no rule (the stack ended undecided)';
  return `"${[rule.type, rule.control, rule.module, ...rule.args].join(' ')}" in ${posix.join(root, rule.file)}`;
}

/** Why a stack let a locked account in: the module that would refuse it is missing, jumped over, or its failure does not count. */
function whyGranted(root: string, v: LockVerdict, enforcer: string): string {
  const type = v.type;
  const stack = v.service.rules.filter((r) => r.type === type);
  const index = stack.findIndex((r) => moduleName(r) === enforcer);
  if (index < 0) return `its ${type} stack has no ${enforcer} line`;
  const skipper = ruleSkipping(stack, index);
  if (skipper !== null) return `${describeRule(root, skipper)} accepts the account and can jump over ${enforcer}, so its refusal never counts`;
  return `the refusal of ${describeRule(root, stack[index] ?? null)} does not count (its control ignores failures)`;
}

/**
 * One finding: the stack refuses the locked account (ok), lets it in (fail,
 * with `fix`), or refuses it even while active (warn: nothing to judge).
 */
export function lockCheck(subject: CheckSubject, root: string, enforcer: string, lock: string, v: LockVerdict, fix: () => string): DoctorCheck {
  const file = posix.join(root, v.service.file);
  if (v.activeRefused !== null) {
    return warned(subject, `${file} refuses a directory account even while it is active (decided by ${describeRule(root, v.activeRefused.decidedBy)}), so whether it honours ${lock} cannot be told`, `let directory accounts in through ${file}: pam_unix.so or ${enforcer} must accept them`);
  }
  if (v.locked.granted) return failed(subject, `${file} lets a directory account with ${lock} in: ${whyGranted(root, v, enforcer)}`, fix());
  return passed(subject, `${file} refuses a directory account with ${lock} (${v.locked.code} from ${describeRule(root, v.locked.decidedBy)})`);
}
