import { writeFile } from 'node:fs/promises';
import type { DesiredHost } from '../../desired/desired-host.js';
import { errorMessage, RosterError } from '../../domain/errors.js';
import { archiveSettings } from '../archive-settings.js';
import { archivedFile, archiveResourceFile } from '../resource-archive.js';
import type { Change, ChangeResult, TargetContext } from '../target.js';
import { archiveName, KERBEROS, PRINCIPAL_KIND, type KerberosChangeData } from './kerberos-change.js';
import type { KerberosConfig } from './kerberos-config.js';
import { kadminBatch, kadminQuery } from './kadmin.js';
import { readPrincipals } from './kerberos-observe.js';
import { convergeSteps, markerOf, markSteps, type KadminStep, type PrincipalMarker, type PrincipalState, type PrincipalWant } from './kerberos-principal.js';

interface Applied {
  readonly detail?: unknown;
  readonly warnings?: readonly string[];
}

interface ApplyEnv {
  readonly ctx: TargetContext;
  readonly config: KerberosConfig;
  readonly archive: { readonly enabled: boolean; readonly dir: string };
}

async function current(env: ApplyEnv, name: string): Promise<PrincipalState | null> {
  return (await readPrincipals(env.ctx.root, env.config, [name])).get(name) ?? null;
}

/** The principal, re-read now, after checking its marker still names this host and account. */
async function ours(env: ApplyEnv, name: string, expected: PrincipalMarker): Promise<PrincipalState> {
  const p = await current(env, name);
  if (p === null) throw new RosterError('conflict', `principal ${name} no longer exists`);
  const m = markerOf(p.strings);
  if (m === null || m.host !== expected.host || m.owner !== expected.owner || m.uid !== expected.uid) throw new RosterError('conflict', `principal ${name} is no longer marked as Roster's for ${expected.owner} (UID ${expected.uid}) on ${expected.host}; not touching it`);
  return p;
}

/** One query each, in order, stopping at the first that fails: a record is never skipped before the change it undoes. */
async function run(env: ApplyEnv, steps: readonly KadminStep[]): Promise<string[]> {
  for (const s of steps) await kadminQuery(env.ctx.root, env.config, s.query);
  return steps.map((s) => s.what);
}

async function converge(env: ApplyEnv, name: string, marker: PrincipalMarker, want: PrincipalWant): Promise<string[]> {
  return run(env, convergeSteps(await ours(env, name, marker), want));
}

async function archive(env: ApplyEnv, data: Extract<KerberosChangeData, { kind: 'archive' }>): Promise<Applied> {
  await ours(env, data.principal, data.marker);
  const [getprinc = '', getstrs = ''] = await kadminBatch(env.ctx.root, env.config, [`getprinc ${data.principal}`, `getstrs ${data.principal}`]);
  if (!getprinc.includes('Principal:')) throw new RosterError('conflict', `getprinc ${data.principal} gave no principal to record`);
  const done = await archiveResourceFile({
    root: env.ctx.root,
    archiveDir: env.archive.dir,
    target: KERBEROS,
    host: data.marker.host,
    owner: data.archiveOwner,
    kind: PRINCIPAL_KIND,
    name: archiveName(data.principal),
    ext: 'txt',
    now: env.ctx.clock.now(),
    write: (file) => writeFile(file, `# getprinc ${data.principal}\n${getprinc.trim()}\n# getstrs ${data.principal}\n${getstrs.trim()}\n`, { flag: 'wx', mode: 0o600 }),
  });
  return { detail: { principal: data.principal, manifest: done.manifest, file: done.file.file, sha256: done.file.sha256, reused: done.reused } };
}

async function applyOne(env: ApplyEnv, data: KerberosChangeData): Promise<Applied> {
  switch (data.kind) {
    case 'refuse':
      throw new RosterError('conflict', data.problem);
    case 'create': {
      if ((await current(env, data.principal)) !== null) throw new RosterError('conflict', `principal ${data.principal} appeared since the plan; not touching it`);
      await kadminQuery(env.ctx.root, env.config, `addprinc -randkey ${data.principal}`);
      await run(env, markSteps(data.principal, data.marker));
      const done = await converge(env, data.principal, data.marker, data.want);
      return { detail: { principal: data.principal, created: true, done }, warnings: [`principal ${data.principal} has a random key: ${data.marker.owner} has no Kerberos password until roster account passwd ${data.marker.owner} --password-stdin`] };
    }
    case 'adopt': {
      const p = await current(env, data.principal);
      if (p === null) throw new RosterError('conflict', `principal ${data.principal} no longer exists`);
      const m = markerOf(p.strings);
      if (m !== null && (m.host !== data.marker.host || m.owner !== data.marker.owner || m.uid !== data.marker.uid)) throw new RosterError('conflict', `principal ${data.principal} was marked for ${m.owner} on ${m.host} since the plan; not touching it`);
      if (m === null) await run(env, markSteps(data.principal, data.marker));
      const done = await converge(env, data.principal, data.marker, data.want);
      return { detail: { principal: data.principal, adopted: true, passwordKept: true, done } };
    }
    case 'converge':
      return { detail: { principal: data.principal, done: await converge(env, data.principal, data.marker, data.want) } };
    case 'archive':
      return archive(env, data);
    case 'delete': {
      await ours(env, data.principal, data.marker);
      // Never delete a principal whose record the manifest does not list.
      if (env.archive.enabled && (await archivedFile(env.ctx.root, env.archive.dir, KERBEROS, data.archiveOwner, PRINCIPAL_KIND, archiveName(data.principal))) === null) {
        throw new RosterError('conflict', `the record of principal ${data.principal} is not in the archive; not deleting it`);
      }
      await kadminQuery(env.ctx.root, env.config, `delprinc -force ${data.principal}`);
      return { detail: { principal: data.principal, deleted: true } };
    }
  }
}

/**
 * Applies the plan's changes in order, each with kadmin queries of its own;
 * one result per change, never a throw (DESIGN.md §9.4). Once a change of an
 * account fails, that account's destructive changes are skipped (no delprinc
 * after a failed record).
 */
export async function applyKerberos(ctx: TargetContext, config: KerberosConfig, changes: readonly Change[], desired: DesiredHost): Promise<readonly ChangeResult[]> {
  const env: ApplyEnv = { ctx, config, archive: archiveSettings(config, desired.purge) };
  const failed = new Set<string>();
  const results: ChangeResult[] = [];
  for (const change of changes) {
    try {
      if (change.destructive && change.account !== undefined && failed.has(change.account)) throw new RosterError('conflict', `skipped: an earlier change for ${change.account} failed`);
      const done = await applyOne(env, change.data as KerberosChangeData);
      results.push({ change, ok: true, ...(done.detail === undefined ? {} : { detail: done.detail }), ...(done.warnings === undefined || done.warnings.length === 0 ? {} : { warnings: done.warnings }) });
    } catch (e) {
      if (change.account !== undefined) failed.add(change.account);
      results.push({ change, ok: false, error: errorMessage(e) });
    }
  }
  return results;
}
