import type { DesiredHost } from '../../desired/desired-host.js';
import type { TargetContext } from '../target.js';
import type { KerberosConfig } from './kerberos-config.js';
import { kadminBatch } from './kadmin.js';
import { markerOf, parseStrings, parseTerse, principalIn, type PrincipalState } from './kerberos-principal.js';

export interface KerberosObserved {
  /** The principals of the desired accounts (and of purged ones), by full name; a principal not there is absent. */
  readonly principals: ReadonlyMap<string, PrincipalState>;
}

/** Reads principals (getprinc -terse and getstrs of each) in one kadmin run. */
export async function readPrincipals(root: string, config: KerberosConfig, names: readonly string[]): Promise<Map<string, PrincipalState>> {
  const answers = await kadminBatch(root, config, names.flatMap((n) => [`getprinc -terse ${n}`, `getstrs ${n}`]));
  const out = new Map<string, PrincipalState>();
  names.forEach((name, i) => {
    const terse = parseTerse(answers[2 * i] ?? '');
    if (terse === null) return;
    out.set(name, { name, expiration: terse.expiration, attributes: terse.attributes, strings: parseStrings(answers[2 * i + 1] ?? '') });
  });
  return out;
}

/** Principals the KDC holds that no query of Roster's names (its own, the KDC's), never taken for an account's. */
const SYSTEM = /^(K\/M|krbtgt\/|kadmin\/|kiprop\/)/;

/**
 * The principals of the desired accounts, read by name. A purged account's
 * principal is found by its marker (the account row no longer names it to
 * the target): only then does observe list the realm (`listprincs`) and read
 * the string attributes of principals that are not desired ones, in one run.
 */
export async function observeKerberos(ctx: TargetContext, config: KerberosConfig, desired: DesiredHost): Promise<KerberosObserved> {
  const wanted: string[] = [];
  for (const a of desired.accounts) {
    if (a.principal === null) continue;
    const p = principalIn(a.principal, config.realm);
    if ('name' in p) wanted.push(p.name);
  }
  const principals = await readPrincipals(ctx.root, config, [...new Set(wanted)]);
  if (desired.removed.length > 0 && desired.scope === undefined) {
    const [listed = ''] = await kadminBatch(ctx.root, config, ['listprincs']);
    const known = new Set(wanted);
    const others = listed.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !known.has(l) && !SYSTEM.test(l) && l.endsWith(`@${config.realm}`) && !/[\s"'\\]/.test(l));
    const strings = await kadminBatch(ctx.root, config, others.map((n) => `getstrs ${n}`));
    const removed = new Set(desired.removed.map((r) => `${r.username}/${r.uid}`));
    const theirs = others.filter((n, i) => {
      const m = markerOf(parseStrings(strings[i] ?? ''));
      return m !== null && m.host === desired.host && removed.has(`${m.owner}/${m.uid}`);
    });
    for (const [name, state] of await readPrincipals(ctx.root, config, theirs)) principals.set(name, state);
  }
  return { principals };
}
