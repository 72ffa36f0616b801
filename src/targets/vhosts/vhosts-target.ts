import { mkdir } from 'node:fs/promises';
import { posix } from 'node:path';
import type { DesiredHost, DesiredResource } from '../../desired/desired-host.js';
import { RosterError, errorMessage } from '../../domain/errors.js';
import { readTextIfExists } from '../../system/read-text-if-exists.js';
import { rootedPath } from '../../system/rooted-path.js';
import { disabledFor } from '../disabled-for.js';
import { defineTarget, type Change, type ChangeResult, type TargetContext, type VerifyFailure } from '../target.js';
import { applyCheckedEdits, type FileEdit } from './apply-checked-edits.js';
import { probeVhost } from './probe-vhost.js';
import { readVhostDir, type VhostFile } from './read-vhost-dir.js';
import { renderVhost, TAG_HEADER, type VhostSpec } from './render-vhost.js';
import { DEFAULT_SUSPENDED_PAGE, encodedPage, MAX_PAGE_LENGTH } from './suspended-page.js';
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
  /** The include dir's files, by file name. */
  readonly files: ReadonlyMap<string, VhostFile>;
  /** The suspended page, encoded for the config files (encodedPage). */
  readonly page: string;
}

type State = 'active' | 'suspended';

interface Editing {
  readonly change: Change;
  readonly edit: FileEdit;
}

type VhostChangeData =
  | { readonly kind: 'refuse'; readonly problem: string }
  | {
      readonly kind: 'write';
      /** As seen on the host. */
      readonly path: string;
      readonly expected: string | null;
      readonly content: string;
      readonly names: readonly string[];
      readonly state: State;
      readonly page: string;
      /** What the file's answers carry in X-Roster-Vhost (with verify), so verify knows this file is the one loaded. */
      readonly tag: string | null;
    }
  | { readonly kind: 'remove'; readonly path: string; readonly expected: string };

/** Characters a rendered path may not hold: quoting in either server's syntax, nginx variables, line breaks. */
const UNSAFE_PATH = /[\u0000-\u001f\u007f"\\$]/;

/** Between probes of a reload not yet in effect: a loopback request costs well under a millisecond. */
const POLL_MS = 20;

function change(account: string, name: string, action: string, summary: string, data: VhostChangeData, destructive = false): Change {
  return { target: NAME, action, subject: `${KIND}:${name}`, account, summary, destructive, data };
}

/**
 * Members' web vhosts (issue 12 item 4, DESIGN.md §4), the sites HCoop's
 * domain tool served: a directory in the member's home or a proxy to the
 * member's own daemon (seed SoftwareArchitecturePlans 6.1.1), one file per
 * vhost resource in the include dir. While the owner's `web` service is off
 * (a freeze that does not keep it, a retirement), the same names answer 503
 * with the suspended page and neither the home nor the daemon is reached.
 * Files are rendered from the desired state, so an unfreeze writes back the
 * very bytes of before the freeze. Every change is checked with the server's
 * own test before a reload, and a failed check puts the previous files back.
 * Files Roster did not write are never touched; a name one of them already
 * serves is a failed change naming both.
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

  async observe(ctx: TargetContext, config: VhostsConfig): Promise<VhostsObserved> {
    return { root: ctx.root, files: readVhostDir(rootedPath(ctx.root, config.dir), config.server), page: await suspendedPage(ctx.root, config) };
  },

  plan(desired: DesiredHost, observed: VhostsObserved, config: VhostsConfig): readonly Change[] {
    const changes: Change[] = [];
    const accounts = new Map(desired.accounts.map((a) => [a.username, a]));
    const scope = desired.scope === undefined ? null : new Set(desired.scope);
    const inScope = (owner: string): boolean => scope === null || scope.has(owner);
    const where = (file: string): string => posix.join(config.dir, file);
    // Who serves each name already: files Roster did not write, and (in a plan of some accounts only) the vhosts of the others, which stay as they are.
    const claims = new Map<string, string>();
    const claim = (names: readonly string[], by: string): void => {
      for (const n of names) if (!claims.has(n)) claims.set(n, by);
    };
    for (const f of observed.files.values()) {
      if (f.marker === null) claim(f.names, `${where(f.file)}, which Roster did not write`);
      else if (!inScope(f.marker.owner)) claim(f.names, `vhost ${f.marker.name} of ${f.marker.owner}`);
    }
    const wanted = new Set<string>();
    // In id order: of two resources claiming one name, the older keeps it.
    for (const r of [...(desired.resources?.[NAME] ?? [])].sort((a, b) => a.id - b.id)) {
      if (r.kind !== KIND) continue;
      const file = vhostFileName(r.name);
      wanted.add(file);
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
      changes.push(change(m.owner, m.name, 'remove', `remove ${m.name} (${m.owner}): no longer desired`, { kind: 'remove', path: where(f.file), expected: f.text }, true));
    }
    return changes;

    /** The change for one vhost, null when its file is as desired, or why it cannot be served. */
    function planVhost(r: DesiredResource, existing: VhostFile | undefined, path: string): Change | string | null {
      const settings = vhostSettingsSchema.safeParse(r.settings);
      if (!settings.success) return `its settings are refused: ${settings.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
      const account = accounts.get(r.owner);
      if (account === undefined) return `its owner ${r.owner} does not live on this host`;
      if (existing !== undefined && existing.marker === null) return `${path} exists and was not written by Roster (left alone)`;
      const names = [...new Set([r.name, ...settings.data.aliases])];
      const taken = names.find((n) => claims.has(n));
      if (taken !== undefined) return `${taken} is already served by ${claims.get(taken) ?? '?'}`;
      claim(names, `vhost ${r.name} of ${r.owner}`);
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
        { id: r.id, owner: r.owner, name: r.name, state, names, serve },
        { server: config.server, listen: config.listen, page: observed.page, tagged: config.verify !== undefined },
      );
      if (existing?.text === content) return null;
      const data: VhostChangeData = { kind: 'write', path, expected: existing?.text ?? null, content, names, state, page: observed.page, tag };
      const was = existing?.marker?.state;
      const who = `${r.name} (${r.owner})`;
      if (state === 'suspended') {
        return change(r.owner, r.name, was === 'active' ? 'suspend' : existing === undefined ? 'create' : 'update', `${was === 'active' ? 'suspend' : existing === undefined ? 'add' : 'rewrite'} ${who}: 503 with the suspended page`, data);
      }
      if (was === 'suspended') return change(r.owner, r.name, 'resume', `resume ${who} ${from}`, data);
      return change(r.owner, r.name, existing === undefined ? 'create' : 'update', `${existing === undefined ? 'serve' : 'rewrite'} ${who} ${from}`, data);
    }
  },

  async apply(ctx: TargetContext, config: VhostsConfig, changes: readonly Change[]): Promise<readonly ChangeResult[]> {
    const results = new Map<Change, ChangeResult>();
    const editing: Editing[] = [];
    for (const c of changes) {
      const data = c.data as VhostChangeData;
      if (data.kind === 'refuse') results.set(c, { change: c, ok: false, error: data.problem });
      else editing.push({ change: c, edit: { path: rootedPath(ctx.root, data.path), expected: data.expected, content: data.kind === 'write' ? data.content : null } });
    }
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
        results.set(e.change, o.ok ? { change: e.change, ok: true } : { change: e.change, ok: false, error: o.error ?? 'failed' });
      });
    }
    return changes.map((c) => results.get(c) ?? { change: c, ok: false, error: 'not applied' });
  },

  /**
   * Asks the web server for each name of each vhost written (with
   * `verify.http`): the answer must come from the file just written (its
   * tag header), and be 503 with the page while suspended, anything else
   * while active. A reload takes effect a moment after its command returns
   * (the master reads the files, then old workers finish their requests), so
   * each probe is retried until the timeout; the tag keeps an answer of the
   * old configuration (a 404 for a new vhost) from passing for the new one.
   */
  async verify(_ctx: TargetContext, config: VhostsConfig, results: readonly ChangeResult[]): Promise<readonly VerifyFailure[]> {
    const probe = config.verify;
    if (probe === undefined) return [];
    const timeoutMs = probe.timeoutSeconds * 1000;
    const deadline = performance.now() + timeoutMs;
    const failures: VerifyFailure[] = [];
    for (const { change: c } of results) {
      const data = c.data as VhostChangeData;
      if (data.kind !== 'write') continue;
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
