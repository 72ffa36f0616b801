import type { PamRule } from './pam-rules.js';

/**
 * What one module returns, by the names a `[value=action …]` control uses
 * (pam.conf(5)): `success`, `acct_expired`, `perm_denied`, `auth_err`,
 * `user_unknown`, `authinfo_unavail`, `new_authtok_reqd`, `ignore`, …
 */
export type PamCode = string;

/** How a stack ended, and the rule whose action decided it (null when the stack ran out undecided). */
export interface PamOutcome {
  readonly granted: boolean;
  readonly code: PamCode;
  readonly decidedBy: PamRule | null;
}

// pam.conf(5): the keyword controls are shorthands for these action lists.
const KEYWORDS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  required: { success: 'ok', new_authtok_reqd: 'ok', ignore: 'ignore', default: 'bad' },
  requisite: { success: 'ok', new_authtok_reqd: 'ok', ignore: 'ignore', default: 'die' },
  sufficient: { success: 'done', new_authtok_reqd: 'done', default: 'ignore' },
  optional: { success: 'ok', new_authtok_reqd: 'ok', default: 'ignore' },
};

function actionFor(control: string, code: PamCode): string {
  const keyword = KEYWORDS[control];
  if (keyword !== undefined) return keyword[code] ?? keyword.default ?? 'bad';
  const pairs = new Map<string, string>();
  for (const pair of control.replace(/^\[|\]$/g, '').trim().split(/\s+/)) {
    const eq = pair.indexOf('=');
    if (eq > 0) pairs.set(pair.slice(0, eq), pair.slice(eq + 1));
  }
  // An unknown control or a code with no action and no default: libpam treats it as `bad`.
  return pairs.get(code) ?? pairs.get('default') ?? 'bad';
}

/**
 * Runs one PAM stack (one type's rules, includes expanded, as
 * readPamService gives them) the way libpam's dispatcher does, given what
 * each module returns: `ok`/`done` count as success only while nothing
 * failed, `bad`/`die` record the first failure, `done`/`die` end the stack,
 * `N` jumps over the next N rules (its side effect in the auth and account
 * stacks is `ignore`), `reset` forgets what was recorded. A stack that ends
 * with nothing recorded refuses. This lets `roster doctor` answer "does this
 * host refuse a locked directory account?" for the stack as written,
 * including Debian's `success=N` jumps over pam_deny, instead of matching
 * lines.
 */
export function pamOutcome(stack: readonly PamRule[], returns: (rule: PamRule) => PamCode): PamOutcome {
  let impression: 'undecided' | 'good' | 'bad' = 'undecided';
  let status: PamCode = 'perm_denied';
  let decidedBy: PamRule | null = null;
  let i = 0;
  while (i < stack.length) {
    const rule = stack[i];
    i++;
    if (rule === undefined) continue;
    const code = returns(rule);
    const action = actionFor(rule.control, code);
    if (action === 'ok' || action === 'done') {
      if (impression === 'undecided' || (impression === 'good' && status === 'success')) {
        if (code !== 'ignore') {
          impression = 'good';
          status = code;
          decidedBy = rule;
        }
      }
      if (impression !== 'bad' && action === 'done') break;
    } else if (action === 'bad' || action === 'die') {
      if (impression !== 'bad') {
        impression = 'bad';
        status = code;
        decidedBy = rule;
      }
      if (action === 'die') break;
    } else if (action === 'reset') {
      impression = 'undecided';
      status = 'perm_denied';
      decidedBy = null;
    } else if (/^\d+$/.test(action)) {
      i += Number(action);
    }
  }
  const granted = impression === 'good' && status === 'success';
  return { granted, code: granted ? 'success' : status, decidedBy: impression === 'undecided' ? null : decidedBy };
}
