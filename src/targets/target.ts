import type * as z from 'zod';
import type { Clock } from '../domain/clock.js';
import type { DesiredAccount, DesiredHost } from '../desired/desired-host.js';
import type { DoctorCheck } from '../doctor/doctor-check.js';
import type { TargetCheckContext } from '../doctor/target-check.js';

/**
 * Thrown by a target's `plan` when the desired state is scoped to some
 * accounts (`DesiredHost.scope`) and the target cannot make exactly what a
 * whole-host plan would make for them; the pipeline then plans the whole host.
 */
export class WholeHostNeeded extends Error {
  constructor(readonly target: string, readonly why: string) {
    super(`${target}: ${why}`);
    this.name = 'WholeHostNeeded';
  }
}

export interface TargetLog {
  info(message: string): void;
  warn(message: string): void;
}

/** What a target may touch: everything under `root` (like `useradd -R`), nothing else. */
export interface TargetContext {
  /** Absolute root prefix; `/` on a real host. */
  readonly root: string;
  readonly host: string;
  readonly clock: Clock;
  readonly log: TargetLog;
}

/**
 * One step of a plan: data that can be printed, checked and applied
 * (DESIGN.md §9.3). `data` is private to the target that made it.
 */
export interface Change {
  readonly target: string;
  /** e.g. `create`, `update`, `delete`, `lock`, `archive`, `kill`, `run-hook`. */
  readonly action: string;
  /** What it is about: `user:alice`, `group:students`, `file:/etc/security/limits.d/roster.conf`. */
  readonly subject: string;
  /** One line for people. */
  readonly summary: string;
  /** True for changes that remove or retire something (for the circuit breaker). */
  readonly destructive: boolean;
  /**
   * The account (username) the change is about, if any. The pipeline counts
   * accounts for the circuit breaker by it, and skips an account's later
   * changes once one of its changes failed (no passwd removal after a failed
   * archive). When absent, a `user:<name>` subject names the account.
   */
  readonly account?: string;
  /**
   * A change planned on every run by design (an `onEnsure` hook): it is shown
   * and applied, but is not drift, so it does not make a plan "pending".
   */
  readonly recurring?: boolean;
  readonly data?: unknown;
}

export interface ChangeResult {
  readonly change: Change;
  readonly ok: boolean;
  readonly error?: string;
  /** Captured output (hooks) or what was done (killed PIDs …). */
  readonly detail?: unknown;
  /** Done, but not quite as configured (a skeleton file that is not there): shown in the report and kept in the audit. */
  readonly warnings?: readonly string[];
}

/** A kind of resource a target manages for accounts (a database, a mailing list, a vhost): its settings are checked by `settings`. */
export interface ResourceKind {
  readonly description: string;
  readonly settings: z.ZodType;
  /**
   * What a name of this kind must look like (a list is `announce@example.org`,
   * a database `alice_blog`), checked when the resource is added; without it,
   * letters, digits, `.`, `_` and `-`.
   */
  readonly name?: z.ZodType<string>;
}

/** What an account uses of a service on a host, in bytes (seed SoftwareArchitecturePlans 3.5: charge members for what daemons store for them). */
export interface UsageItem {
  /** The account's username. */
  readonly account: string;
  /** What was measured, in the target's words: `postgres-database:alice_blog`, `home:/home/alice`. */
  readonly subject: string;
  readonly bytes: number;
}

/** A change the target's `verify` found not to have taken effect: it becomes a failed change. */
export interface VerifyFailure {
  readonly change: Change;
  readonly error: string;
}

/** What a target's projection sees of an account: everything but the targets' own entries. */
export type ProjectedAccount = Omit<DesiredAccount, 'targets'>;

/**
 * A target turns the desired state into reality (DESIGN.md §1): `observe`
 * reads the system, `plan` is pure, `apply` is the only side effect and is
 * idempotent. A target is one folder and one declaration (DESIGN.md §10
 * "Targets are plugins", made with `defineTarget`): its schemas, its
 * projection, the services it stands for, its place in the apply order and
 * the resource kinds it manages. The core never switches on a target's kind.
 */
export interface Target<Config = unknown, Observed = unknown> {
  readonly name: string;
  /** roster.yaml `hosts.<host>.targets.<name>`: whether and how the target runs on a host. */
  readonly hostSettings: z.ZodType<Config>;
  /** roster.yaml `types.<type>.targets.<name>`: what the target does for the accounts of a type. */
  readonly typeSettings?: z.ZodType;
  /**
   * Keys of an account type that are now in `typeSettings`, old key → key in
   * the target's section (`homeMode` → `mode`): `roster config check`
   * answers the old key with where it moved.
   */
  readonly movedTypeKeys?: Readonly<Record<string, string>>;
  /**
   * What the projection puts in `DesiredAccount.targets[name]`, as it crosses
   * the wire to an agent; present with `typeSettings` or `project`.
   */
  readonly entry?: z.ZodType;
  /** The account's entry from its type's parsed settings; without it, the entry is the settings themselves. */
  project?(account: ProjectedAccount, typeSettings: unknown): unknown;
  /** The services this target stands for, which `freeze.keep` may name (`login`, `cron` …). */
  readonly services: readonly string[];
  /**
   * Services a host's settings name beyond `services` (the user-list target's
   * `lists[].service`): `freeze.keep` may name them too, once a host enables
   * the target with such settings.
   */
  servicesOf?(config: Config): readonly string[];
  /** Targets that must be applied before this one. */
  readonly after: readonly string[];
  /**
   * The target touches only its own service (a database server, a web
   * server, a directory), never what another target manages: it is applied
   * at the same time as its concurrent neighbours in the apply order, whose
   * failures therefore do not skip its changes (those of later targets are
   * skipped as ever).
   */
  readonly concurrent?: boolean;
  /** The kinds of owned resources this target manages, by name. */
  readonly resourceKinds: Readonly<Record<string, ResourceKind>>;
  observe(ctx: TargetContext, config: Config, desired: DesiredHost): Promise<Observed>;
  /** Throws WholeHostNeeded only for a scoped desired state it cannot plan exactly. */
  plan(desired: DesiredHost, observed: Observed, config: Config): readonly Change[];
  /** Applies changes made by this target's `plan`; one result per change, never throws half-way. */
  apply(ctx: TargetContext, config: Config, changes: readonly Change[], desired: DesiredHost): Promise<readonly ChangeResult[]>;
  /**
   * Probes the real effect of the changes just applied (login refused, a
   * service answering 503); given the results that succeeded, returns those
   * that did not take effect. Each becomes a failed change; a verify that
   * throws fails every change it was given.
   */
  verify?(ctx: TargetContext, config: Config, results: readonly ChangeResult[], desired: DesiredHost): Promise<readonly VerifyFailure[]>;
  /** What each account of the desired state uses of the service on this host; read only. */
  usage?(ctx: TargetContext, config: Config, desired: DesiredHost): Promise<readonly UsageItem[]>;
  /** `roster doctor`: what the target needs of the machine, given its settings on the host (tools, files, mounts). */
  doctor?(ctx: TargetCheckContext, config: Config): Promise<readonly DoctorCheck[]>;
}

/**
 * One target's declaration. `TypeSettings` is what `typeSettings` parses to
 * and `Entry` what the projection makes of it for each account.
 */
export interface TargetDeclaration<Config, Observed, TypeSettings, Entry> {
  readonly name: string;
  readonly hostSettings: z.ZodType<Config>;
  readonly typeSettings?: z.ZodType<TypeSettings>;
  readonly movedTypeKeys?: Readonly<Record<string, string>>;
  readonly entry?: z.ZodType<Entry>;
  readonly project?: (account: ProjectedAccount, typeSettings: TypeSettings) => Entry;
  readonly services?: readonly string[];
  servicesOf?(config: Config): readonly string[];
  readonly after?: readonly string[];
  readonly concurrent?: boolean;
  readonly resourceKinds?: Readonly<Record<string, ResourceKind>>;
  observe(ctx: TargetContext, config: Config, desired: DesiredHost): Promise<Observed>;
  plan(desired: DesiredHost, observed: Observed, config: Config): readonly Change[];
  apply(ctx: TargetContext, config: Config, changes: readonly Change[], desired: DesiredHost): Promise<readonly ChangeResult[]>;
  verify?(ctx: TargetContext, config: Config, results: readonly ChangeResult[], desired: DesiredHost): Promise<readonly VerifyFailure[]>;
  usage?(ctx: TargetContext, config: Config, desired: DesiredHost): Promise<readonly UsageItem[]>;
  doctor?(ctx: TargetCheckContext, config: Config): Promise<readonly DoctorCheck[]>;
}

/** A target from its declaration: what it leaves out it does not have (no services, no constraints, no resources). */
export function defineTarget<Config, Observed, TypeSettings = undefined, Entry = TypeSettings>(d: TargetDeclaration<Config, Observed, TypeSettings, Entry>): Target<Config, Observed> {
  if ((d.typeSettings !== undefined || d.project !== undefined) && d.entry === undefined) {
    // A mistake in a target's own code, found when the module loads: not an outcome for users.
    throw new Error(`target ${d.name}: typeSettings or project needs an entry schema (what the projection sends to agents)`);
  }
  const project = d.project;
  return {
    ...d,
    services: d.services ?? [],
    after: d.after ?? [],
    resourceKinds: d.resourceKinds ?? {},
    // The projection parses each type's section with `typeSettings` (checked
    // when roster.yaml was loaded), so the value is what that schema makes.
    ...(project === undefined ? {} : { project: (account: ProjectedAccount, settings: unknown) => project(account, settings as TypeSettings) }),
  };
}

/**
 * Reads a target's entry in `DesiredAccount.targets`. Projection made it with
 * the target's own code, or the agent checked it against the target's
 * `entry` schema, so it has that shape. A desired state made without it
 * (an older server, a test's hand-built account) gets `defaults`: what the
 * projection makes of a type that sets nothing for the target.
 */
export function targetEntry<Entry>(name: string, defaults: () => Entry): (account: DesiredAccount) => Entry {
  let fallback: Entry | undefined;
  return (account) => {
    const entry = account.targets[name];
    if (entry !== undefined) return entry as Entry;
    fallback ??= defaults();
    return fallback;
  };
}
