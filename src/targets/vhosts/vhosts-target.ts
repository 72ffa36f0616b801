import { mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type { DesiredHost, DesiredResource } from '../../desired/desired-host.js';
import { RosterError, errorMessage } from '../../domain/errors.js';
import { readTextIfExists } from '../../system/read-text-if-exists.js';
import { rootedPath } from '../../system/rooted-path.js';
import { disabledFor } from '../disabled-for.js';
import { defineTarget, WholeHostNeeded, type Change, type ChangeResult, type TargetContext, type VerifyFailure } from '../target.js';
import { applyCheckedEdits, type FileEdit } from './apply-checked-edits.js';
import { probeVhost } from './probe-vhost.js';
import { readVhostDir, readVhostFiles, type VhostFile } from './read-vhost-dir.js';
import { renderVhost, TAG_HEADER, type VhostSpec } from './render-vhost.js';
import { DEFAULT_SUSPENDED_PAGE, encodedPage, MAX_PAGE_LENGTH } from './suspended-page.js';
import { createFlag, ensureFlagDir, readFlagDir, readFlags, removeFlag, syncDirectory, type SuspensionFlag } from './suspension-flags.js';
import { dirStamp, dropOwners, INDEX_PATH, readOwners, sameOwners, writeOwners, type OwnerRecord, type VhostOwners } from './vhost-index.js';
import { vhostKind, vhostSettingsSchema } from './vhost-kind.js';
import { vhostsCheck } from './vhosts-check.js';
import { vhostFileName } from './vhost-marker.js';
import { isPagePath, testCommand, vhostsConfigSchema, type VhostsConfig } from './vhosts-config.js';
import { configuredReload } from './reload-server.js';

const NAME = 'vhosts';
/** The service a freeze turns off unless `freeze.keep` lists it. */
const SERVICE = 'web';
const KIND = 'vhost';

export interface VhostsObserved {
  /** The root prefix, which the web server sees in front of every path Roster renders (`/` on a real host). */
  readonly root: string;
  /** The include dir's files, by file name: all of them, or (not `complete`) those of the accounts planned for. */
  readonly files: ReadonlyMap<string, VhostFile>;
  /** The flag dir's files, by name (a vhost's): all of them, or (not `complete`) those of the vhosts read. */
  readonly flags: ReadonlyMap<string, SuspensionFlag>;
  /**
   * Whether every file of the include dir was read. A plan of some accounts
   * reads only theirs, found through the recorded owners, when that record
   * still describes the dir; such a plan cannot check a file it would write
   * against the names the others serve, so it then needs the whole host.
   */
  readonly complete: boolean;
  /** Who owns each file Roster wrote, as recorded, if the record still describes the dir. */
  readonly owners: OwnerRecord | null;
  /** The suspended page, encoded for the config files (encodedPage). */
  readonly page: string;
}

type State = 'active' | 'suspended';

interface Editing {
  readonly change: Change;
  readonly edit: FileEdit;
}

/** A vhost file to write, as seen on the host. */
interface FileWrite {
  readonly path: string;
  readonly expected: string | null;
  readonly content: string;
}

type VhostChangeData =
  | { readonly kind: 'refuse'; readonly problem: string }
  | {
      readonly kind: 'vhost';
      /** The resource's name, which is also its flag's. */
      readonly name: string;
      readonly names: readonly string[];
      readonly state: State;
      readonly page: string;
      /** What the file's answers carry in X-Roster-Vhost (with verify), so verify knows this file is the one loaded. */
      readonly tag: string | null;
      /** The file to write, or null when it is as rendered (a suspend or resume is then the flag alone: no test, no reload). */
      readonly file: FileWrite | null;
      /** Whether the flag is created (before the file is written) or removed (after), or left. */
      readonly flag: 'create' | 'remove' | null;
      readonly owners?: VhostOwners;
    }
  /** A vhost no longer desired: its file, then its flag if Roster's is there. */
  | { readonly kind: 'remove'; readonly name: string; readonly path: string; readonly expected: string; readonly flag: boolean; readonly owners?: VhostOwners }
  /** A flag of Roster's that no vhost has. */
  | { readonly kind: 'unflag'; readonly name: string; readonly owners?: VhostOwners };
/*
 * `owners`, on every change of a plan that read the whole include dir when
 * the record of owners is missing or no longer true: who owns each file once
 * the plan is applied, recorded by apply for the plans of some accounts.
 */

/** Characters a rendered path may not hold: quoting in either server's syntax, nginx variables, line breaks. */
const UNSAFE_PATH = /[\u0000-\u001f\u007f"\\$]/;

/** In the flag check also Apache's RewriteCond expansions (`%{...}`, `%N`) and blanks (as the flagDir setting). */
const UNSAFE_FLAG_PATH = /[\u0000-\u001f\u007f"\\$%\s]/;

/** Between probes of a reload not yet in effect: a loopback request costs well under a millisecond. */
const POLL_MS = 20;

function change(account: string | null, name: string, action: string, summary: string, data: VhostChangeData, destructive = false): Change {
  return { target: NAME, action, subject: `${KIND}:${name}`, ...(account === null ? {} : { account }), summary, destructive, data };
}

/**
 * Members' web vhosts (issue 12 item 4, DESIGN.md §4), the sites HCoop's
 * domain tool served: a directory in the member's home or a proxy to the
 * member's own daemon (seed SoftwareArchitecturePlans 6.1.1), one file per
 * vhost resource in the include dir. While the owner's `web` service is off
 * (a freeze that does not keep it, a retirement), the same names answer 503
 * with the suspended page and neither the home nor the daemon is reached.
 * Each file checks a flag, a file named after the vhost in `flagDir`, and a
 * suspension is that flag: a freeze creates it and an unfreeze removes it,
 * leaving the rendered files as they are, with no test and no reload (as
 * hosting panels do for maintenance flags). Files are rendered from the
 * desired state; a file change (a new vhost, new settings, a file of an
 * earlier format) is checked with the server's own test before a reload,
 * and a failed check puts the previous files back. Files and flags Roster
 * did not write are never touched; a file to write for a name one of them
 * already serves, or a flag of someone else's, is a failed change naming
 * both. Roster records who owns each file it wrote (vhost-index.ts), so a
 * freeze among 10,000 vhosts reads the member's files, not all of them.
 */
export const vhostsTarget = defineTarget<VhostsConfig, VhostsObserved>({
  name: NAME,
  hostSettings: vhostsConfigSchema,
  doctor: vhostsCheck,
  // Touches only its own service: applied at the same time as the other service targets next to it.
  concurrent: true,
  services: [SERVICE],
  // A restored home is back before its vhost serves it again.
  after: ['homes'],
  resourceKinds: { [KIND]: vhostKind },

  /**
   * Reads the include dir and the flag dir. A plan of some accounts (a
   * freeze) reads only the files of their vhosts and of the vhosts the
   * record of owners gives them, and their flags: one member's files among
   * 10,000, instead of every file.
   */
  async observe(ctx: TargetContext, config: VhostsConfig, desired: DesiredHost): Promise<VhostsObserved> {
    const dir = rootedPath(ctx.root, config.dir);
    const flagDir = rootedPath(ctx.root, config.flagDir);
    const page = await suspendedPage(ctx.root, config);
    let stamp: string | null;
    try {
      stamp = dirStamp(dir);
    } catch (e) {
      throw new RosterError('unavailable', `cannot read the vhost directory ${dir}: ${errorMessage(e)}`, [], { cause: e });
    }
    const owners = readOwners(rootedPath(ctx.root, INDEX_PATH), config.dir, stamp);
    if (desired.scope !== undefined && owners !== null) {
      const scope = new Set(desired.scope);
      const names = (desired.resources?.[NAME] ?? []).filter((r) => r.kind === KIND).map((r) => r.name);
      const theirs = [...scope].flatMap((owner) => owners.filesOf(owner));
      const files = readVhostFiles(dir, config.server, [...names.map(vhostFileName), ...theirs]);
      const flags = readFlags(flagDir, [...names, ...[...files.values()].flatMap((f) => (f.marker === null ? [] : [f.marker.name]))]);
      return { root: ctx.root, files, flags, page, complete: false, owners };
    }
    return { root: ctx.root, files: readVhostDir(dir, config.server), flags: readFlagDir(flagDir), page, complete: true, owners };
  },

  plan(desired: DesiredHost, observed: VhostsObserved, config: VhostsConfig): readonly Change[] {
    const changes: Change[] = [];
    const accounts = new Map(desired.accounts.map((a) => [a.username, a]));
    const scope = desired.scope === undefined ? null : new Set(desired.scope);
    const inScope = (owner: string): boolean => scope === null || scope.has(owner);
    const where = (file: string): string => posix.join(config.dir, file);
    const flagDir = rootedPath(observed.root, config.flagDir);
    const managedFlag = (name: string): boolean => observed.flags.get(name)?.managed === true;
    // Who serves each name already: files Roster did not write, and (in a plan of some accounts only) the vhosts of the others, which stay as they are. A file is checked against them when it is to be written.
    const claims = new Map<string, string>();
    const claim = (names: readonly string[], by: string): void => {
      for (const n of names) if (!claims.has(n)) claims.set(n, by);
    };
    for (const f of observed.files.values()) {
      if (f.marker === null) claim(f.names, `${where(f.file)}, which Roster did not write`);
      else if (!inScope(f.marker.owner)) claim(f.names, `vhost ${f.marker.name} of ${f.marker.owner}`);
    }
    const wanted = new Set<string>();
    /** Names whose flags this plan leaves to its vhosts' changes: every desired vhost's (refused ones keep theirs), and each removed one's. */
    const flagged = new Set<string>();
    // In id order: of two resources claiming one name, the older keeps it.
    for (const r of [...(desired.resources?.[NAME] ?? [])].sort((a, b) => a.id - b.id)) {
      if (r.kind !== KIND) continue;
      const file = vhostFileName(r.name);
      wanted.add(file);
      flagged.add(r.name);
      const planned = planVhost(r, observed.files.get(file), where(file));
      if (typeof planned === 'string') {
        changes.push(change(r.owner, r.name, 'refuse', `cannot serve ${r.name} for ${r.owner}: ${planned}`, { kind: 'refuse', problem: planned }));
      } else if (planned !== null) {
        changes.push(planned);
      }
    }
    for (const f of observed.files.values()) {
      if (f.marker === null || wanted.has(f.file) || !inScope(f.marker.owner)) continue;
      const m = f.marker;
      flagged.add(m.name);
      changes.push(change(m.owner, m.name, 'remove', `remove ${m.name} (${m.owner}): no longer desired`, { kind: 'remove', name: m.name, path: where(f.file), expected: f.text, flag: managedFlag(m.name) }, true));
    }
    // A flag of no vhost is removed by a plan of the whole host only: in a plan of some accounts it may be another account's.
    if (scope === null) {
      for (const f of observed.flags.values()) {
        if (!f.managed || flagged.has(f.name)) continue;
        changes.push(change(null, f.name, 'remove', `remove the suspension flag of ${f.name}: no vhost of that name`, { kind: 'unflag', name: f.name }));
      }
    }
    if (!observed.complete || changes.length === 0) return changes;
    // Who owns each file once these changes are made: recorded with them when they write files (which moves the dir's stamp) or the record says otherwise.
    const after = new Map<string, string>();
    for (const f of observed.files.values()) if (f.marker !== null) after.set(f.file, f.marker.owner);
    let writes = false;
    for (const c of changes) {
      const d = c.data as VhostChangeData;
      if (d.kind === 'vhost' && d.file !== null && c.account !== undefined) after.set(vhostFileName(d.name), c.account);
      else if (d.kind === 'remove') after.delete(vhostFileName(d.name));
      else continue;
      writes = true;
    }
    if (!writes && observed.owners !== null && sameOwners(after, observed.owners.all())) return changes;
    return changes.map((c) => ({ ...c, data: { ...(c.data as object), owners: after } }));

    /** The change for one vhost, null when its file and flag are as desired, or why it cannot be served. */
    function planVhost(r: DesiredResource, existing: VhostFile | undefined, path: string): Change | string | null {
      const settings = vhostSettingsSchema.safeParse(r.settings);
      if (!settings.success) return `its settings are refused: ${settings.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
      const account = accounts.get(r.owner);
      if (account === undefined) return `its owner ${r.owner} does not live on this host`;
      if (existing !== undefined && existing.marker === null) return `${path} exists and was not written by Roster (left alone)`;
      const flag = observed.flags.get(r.name);
      if (flag !== undefined && !flag.managed) return `${posix.join(config.flagDir, r.name)} exists and was not written by Roster (left alone; while it exists the server answers 503 for ${r.name})`;
      if (UNSAFE_FLAG_PATH.test(flagDir)) return `its suspension flag directory ${flagDir} holds a character a web server config cannot quote (blanks, ", \\, $, % or a control character)`;
      const names = [...new Set([r.name, ...settings.data.aliases])];
      let serve: VhostSpec['serve'];
      let from: string;
      if (settings.data.root !== undefined) {
        const dir = posix.join(account.home, settings.data.root);
        let seen: string;
        try {
          seen = rootedPath(observed.root, dir);
        } catch (e) {
          return `its directory ${dir}: ${errorMessage(e)}`;
        }
        if (UNSAFE_PATH.test(seen)) return `its directory ${dir} holds a character a web server config cannot quote (", \\, $ or a control character)`;
        serve = { root: seen };
        from = `from ${dir}`;
      } else {
        const proxy = settings.data.proxy ?? '';
        serve = { proxy };
        from = `through ${proxy}`;
      }
      const state: State = disabledFor(account, SERVICE, desired.freezeKeep) ? 'suspended' : 'active';
      const { content, tag } = renderVhost(
        { id: r.id, owner: r.owner, name: r.name, names, serve },
        { server: config.server, listen: config.listen, page: observed.page, flagDir, tagged: config.verify !== undefined },
      );
      const file: FileWrite | null = existing?.text === content ? null : { path, expected: existing?.text ?? null, content };
      if (file !== null) {
        if (!observed.complete) throw new WholeHostNeeded(NAME, `the file of ${r.name} is to be written, and is checked against the names every other file of ${config.dir} serves`);
        const taken = names.find((n) => claims.has(n));
        if (taken !== undefined) return `${taken} is already served by ${claims.get(taken) ?? '?'}`;
      }
      claim(names, `vhost ${r.name} of ${r.owner}`);
      const flagChange = state === 'suspended' ? (flag === undefined ? 'create' : null) : flag === undefined ? null : 'remove';
      if (file === null && flagChange === null) return null;
      const data: VhostChangeData = { kind: 'vhost', name: r.name, names, state, page: observed.page, tag, file, flag: flagChange };
      // What the server answers now: a file of the earlier format said in its marker whether it was the suspended vhost; a file of this format answers as its flag says.
      const was: State | null = existing === undefined ? null : (existing.marker?.state ?? (flag === undefined ? 'active' : 'suspended'));
      const who = `${r.name} (${r.owner})`;
      const answer = state === 'suspended' ? ': 503 with the suspended page' : ` ${from}`;
      const rewritten = file === null ? '' : '; its file rewritten';
      if (was === null) return change(r.owner, r.name, 'create', `${state === 'suspended' ? 'add' : 'serve'} ${who}${answer}`, data);
      if (was !== state) return change(r.owner, r.name, state === 'suspended' ? 'suspend' : 'resume', `${state === 'suspended' ? 'suspend' : 'resume'} ${who}${answer}${rewritten}`, data);
      return change(r.owner, r.name, 'update', `rewrite ${who}${answer}`, data);
    }
  },

  /**
   * Flags to create first, so that a suspended vhost's new file is never
   * loaded without its flag; then the files, written, checked and reloaded
   * together (applyCheckedEdits); then the flags to remove, once the files
   * that serve the sites again (or no longer name them) are in place. A
   * change whose file failed keeps its flag: the site stays suspended
   * rather than half resumed.
   */
  async apply(ctx: TargetContext, config: VhostsConfig, changes: readonly Change[]): Promise<readonly ChangeResult[]> {
    const flagDir = rootedPath(ctx.root, config.flagDir);
    const failures = new Map<Change, string>();
    // The first failure of a change is its reason.
    const fail = (c: Change, error: string): void => {
      if (!failures.has(c)) failures.set(c, error);
    };
    const live = (c: Change): boolean => !failures.has(c);
    const data = (c: Change): VhostChangeData => c.data as VhostChangeData;
    /** The vhost whose flag a change touches. */
    const flagOf = (c: Change): string => {
      const d = data(c);
      return d.kind === 'refuse' ? '' : d.name;
    };
    for (const c of changes) {
      const d = data(c);
      if (d.kind === 'refuse') fail(c, d.problem);
    }

    const creating = changes.filter((c) => {
      const d = data(c);
      return live(c) && d.kind === 'vhost' && d.flag === 'create';
    });
    if (creating.length > 0) {
      try {
        await ensureFlagDir(flagDir);
      } catch (e) {
        for (const c of creating) fail(c, `cannot make the suspension flag directory ${config.flagDir}: ${errorMessage(e)}`);
      }
      for (const c of creating.filter(live)) {
        try {
          await createFlag(flagDir, flagOf(c));
        } catch (e) {
          fail(c, `cannot create the suspension flag: ${errorMessage(e)}`);
        }
      }
    }

    const editing: Editing[] = [];
    for (const c of changes.filter(live)) {
      const d = data(c);
      if (d.kind === 'vhost' && d.file !== null) editing.push({ change: c, edit: { path: rootedPath(ctx.root, d.file.path), expected: d.file.expected, content: d.file.content } });
      else if (d.kind === 'remove') editing.push({ change: c, edit: { path: rootedPath(ctx.root, d.path), expected: d.expected, content: null } });
    }
    let editsFailed = 0;
    if (editing.length > 0) {
      let outcomes;
      try {
        await mkdir(rootedPath(ctx.root, config.dir), { recursive: true, mode: 0o755 });
        outcomes = await applyCheckedEdits(
          editing.map((e) => e.edit),
          { test: testCommand(config), reload: configuredReload(config, ctx.root) },
        );
      } catch (e) {
        outcomes = editing.map(() => ({ ok: false, error: errorMessage(e) }));
      }
      editing.forEach((e, i) => {
        const o = outcomes[i] ?? { ok: false, error: 'not applied' };
        if (o.ok) return;
        editsFailed += 1;
        fail(e.change, o.error ?? 'failed');
      });
    }

    const removing = changes.filter((c) => {
      const d = data(c);
      return live(c) && ((d.kind === 'vhost' && d.flag === 'remove') || (d.kind === 'remove' && d.flag) || d.kind === 'unflag');
    });
    if (removing.length > 0) {
      for (const c of removing) {
        try {
          await removeFlag(flagDir, flagOf(c));
        } catch (e) {
          fail(c, `cannot remove the suspension flag: ${errorMessage(e)}`);
        }
      }
      try {
        await syncDirectory(flagDir);
      } catch (e) {
        // Removed, but not durably: a crash now could bring a flag back, which the next run would plan away again.
        ctx.log.warn(`vhosts: cannot sync ${flagDir} after removing flags: ${errorMessage(e)}`);
      }
    }
    await recordOwners(ctx, config, changes, editsFailed > 0);
    return changes.map((c) => {
      const error = failures.get(c);
      return error === undefined ? { change: c, ok: true } : { change: c, ok: false, error };
    });
  },

  /**
   * Asks the web server for each name of each vhost changed (with
   * `verify.http`): the answer must come from the file as rendered (its tag
   * header), and be 503 with the page while suspended, anything else while
   * active. A flag takes effect at the next request; a reload a moment after
   * its command returns (the master reads the files, then old workers finish
   * their requests), so each probe is retried until the timeout; the tag
   * keeps an answer of the old configuration (a 404 for a new vhost, a file
   * of the earlier format) from passing for the new one.
   */
  async verify(_ctx: TargetContext, config: VhostsConfig, results: readonly ChangeResult[]): Promise<readonly VerifyFailure[]> {
    const probe = config.verify;
    if (probe === undefined) return [];
    const timeoutMs = probe.timeoutSeconds * 1000;
    const deadline = performance.now() + timeoutMs;
    const failures: VerifyFailure[] = [];
    for (const { change: c } of results) {
      const data = c.data as VhostChangeData;
      if (data.kind !== 'vhost') continue;
      for (const name of data.names) {
        const problem = await awaitAnswer(probe.http, name, data, deadline, probe.timeoutSeconds);
        if (problem !== null) {
          failures.push({ change: c, error: problem });
          break;
        }
      }
    }
    return failures;
  },
});

/**
 * Records the owners the plan worked out, with the include dir's stamp now
 * that its files are written; forgets the record instead when a file was
 * not written as planned (a refused check puts the old ones back), so the
 * next plan reads the dir whole. The record only spares reading: not
 * writing it fails no change.
 */
async function recordOwners(ctx: TargetContext, config: VhostsConfig, changes: readonly Change[], filesFailed: boolean): Promise<void> {
  const owners = changes.map((c) => (c.data as { owners?: VhostOwners }).owners).find((o) => o !== undefined);
  const hasFileEdits = changes.some((c) => {
    const d = c.data as VhostChangeData;
    return (d.kind === 'vhost' && d.file !== null) || d.kind === 'remove';
  });
  if (owners === undefined && !hasFileEdits) return;
  const indexFile = rootedPath(ctx.root, INDEX_PATH);
  try {
    const stamp = dirStamp(rootedPath(ctx.root, config.dir));
    // Files written without a record to go with them (a plan that did not read them all cannot plan any): the old record is no longer true.
    if (owners === undefined || filesFailed || stamp === null) dropOwners(indexFile);
    else await writeOwners(indexFile, config.dir, stamp, owners);
  } catch (e) {
    ctx.log.warn(`vhosts: cannot record who owns the vhost files in ${indexFile}: ${errorMessage(e)}`);
  }
}

/** Null once the server answers `name` from the written file as its state wants; else, at the deadline, what it answered. */
async function awaitAnswer(address: string, name: string, want: { readonly state: State; readonly page: string; readonly tag: string | null }, deadline: number, seconds: number): Promise<string | null> {
  for (;;) {
    const left = deadline - performance.now();
    const answer = await probeVhost(address, name, Math.max(200, Math.min(2000, left)));
    const suspended = 'status' in answer && answer.status === 503 && answer.body === want.page;
    const fromFile = 'status' in answer && (want.tag === null || answer.tag === want.tag);
    if (fromFile && suspended === (want.state === 'suspended')) return null;
    if (performance.now() >= deadline) {
      let said: string;
      if ('error' in answer) said = `did not answer: ${answer.error}`;
      else {
        const other = fromFile ? '' : ` from another configuration than the file just written (${TAG_HEADER}: ${answer.tag ?? 'none'})`;
        said = `answered ${suspended ? '503 with the suspended page' : String(answer.status)}${other}`;
      }
      return `Host: ${name} at ${address} ${said}; expected ${want.state === 'suspended' ? '503 with the suspended page' : 'its site, not the suspended page'} (waited ${seconds} s)`;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** The configured page (the text, or the file it names, under the root prefix), encoded; a page that cannot be read makes the target unavailable rather than suspending with another text. */
async function suspendedPage(root: string, config: VhostsConfig): Promise<string> {
  const configured = config.suspendedPage ?? DEFAULT_SUSPENDED_PAGE;
  if (!isPagePath(configured)) return encodedPage(configured);
  let text: string | null;
  try {
    text = await readTextIfExists(rootedPath(root, configured));
  } catch (e) {
    throw new RosterError('unavailable', `cannot read the suspended page ${configured}: ${errorMessage(e)}`, [], { cause: e });
  }
  if (text === null) throw new RosterError('unavailable', `the suspended page ${configured} does not exist`);
  const page = encodedPage(text);
  if (page.length > MAX_PAGE_LENGTH) throw new RosterError('unavailable', `the suspended page ${configured} is ${page.length} bytes once encoded for the web server; at most ${MAX_PAGE_LENGTH}`);
  return page;
}
