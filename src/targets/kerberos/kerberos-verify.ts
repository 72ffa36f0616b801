import type { ChangeResult, TargetContext, VerifyFailure } from '../target.js';
import type { KerberosChangeData } from './kerberos-change.js';
import type { KerberosConfig } from './kerberos-config.js';
import { readPrincipals } from './kerberos-observe.js';
import { convergeSteps, DISALLOW_ALL_TIX, kadminDate, markerOf } from './kerberos-principal.js';

/**
 * After apply, getprinc of every principal a change named (one kadmin run):
 * a created, adopted or converged one carries Roster's marker and the
 * attributes and expiry it wanted (nothing left to do), a deleted one is
 * gone. What the KDC then does with DISALLOW_ALL_TIX is MIT's own rule;
 * the tests check it with kinit.
 */
export async function verifyKerberos(ctx: TargetContext, config: KerberosConfig, results: readonly ChangeResult[]): Promise<readonly VerifyFailure[]> {
  const checked = results.filter((r) => ['create', 'adopt', 'converge', 'delete'].includes((r.change.data as KerberosChangeData).kind));
  const names = [...new Set(checked.map((r) => (r.change.data as Exclude<KerberosChangeData, { kind: 'refuse' }>).principal))];
  const now = await readPrincipals(ctx.root, config, names);
  const failures: VerifyFailure[] = [];
  for (const r of checked) {
    const data = r.change.data as Exclude<KerberosChangeData, { kind: 'refuse' | 'archive' }>;
    const p = now.get(data.principal);
    if (data.kind === 'delete') {
      if (p !== undefined) failures.push({ change: r.change, error: `principal ${data.principal} is still there after delprinc` });
      continue;
    }
    if (p === undefined) {
      failures.push({ change: r.change, error: `principal ${data.principal} is not there after the change` });
      continue;
    }
    const m = markerOf(p.strings);
    if (m === null || m.owner !== data.marker.owner || m.uid !== data.marker.uid || m.host !== data.marker.host) {
      failures.push({ change: r.change, error: `principal ${data.principal} does not carry Roster's marker for ${data.marker.owner} after the change` });
      continue;
    }
    const left = convergeSteps(p, data.want);
    if (left.length > 0) {
      const shows = `attributes ${p.attributes}${(p.attributes & DISALLOW_ALL_TIX) !== 0 ? ' (DISALLOW_ALL_TIX)' : ''}, expiry ${p.expiration === 0 ? 'never' : kadminDate(p.expiration)}`;
      failures.push({ change: r.change, error: `getprinc ${data.principal} shows ${shows}; still to do: ${left.map((s) => s.what).join(', ')}` });
    }
  }
  return failures;
}
