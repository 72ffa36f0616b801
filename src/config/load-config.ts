import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type * as z from 'zod';
import { errorMessage, RosterError, type ErrorIssue } from '../domain/errors.js';
import { configErrorMap } from './config-error-map.js';
import { targetOrder, type Ordered } from '../domain/target-order.js';
import { configSchema, type RosterConfig } from './config-schema.js';
import { deepFreeze } from './deep-freeze.js';
import { knownKeys } from './known-keys.js';
import { knownServices } from './known-services.js';
import { offsetOfPath, pathAtOffset, type ConfigPath } from './yaml-position.js';

export interface LoadedConfig {
  readonly config: RosterConfig;
  /** Absolute path of roster.yaml. */
  readonly path: string;
  /** Its directory: relative paths in the file are relative to it. */
  readonly dir: string;
  /** An absolute SQLite file path, `:memory:`, or a postgres:// URL. */
  readonly databaseUrl: string;
  readonly hmacKeyPath: string;
}

interface Problem {
  readonly offset: number;
  /** null: a syntax error; a string: what the problem is about, when it is no key of the file. */
  readonly path: ConfigPath | string | null;
  readonly message: string;
}

/** What the config check needs of a target (every registered target has it). */
export interface ConfigTarget extends Ordered {
  readonly name: string;
  /** Checks `hosts.<host>.targets.<name>`. */
  readonly hostSettings: z.ZodType;
  /** Checks `types.<type>.targets.<name>`; a target without it takes no type settings. */
  readonly typeSettings?: z.ZodType;
  /** Account type keys that moved into this target's type settings: old key → new path under `types.<type>.targets`. */
  readonly movedTypeKeys?: Readonly<Record<string, string>>;
  /** Services `freeze.keep` may name because of this target. */
  readonly services: readonly string[];
  /** Services a host's settings of this target name (parsed by `hostSettings`), which `freeze.keep` may name too. */
  servicesOf?(settings: unknown): readonly string[];
}

/**
 * What the caller knows beyond roster.yaml's own schema. Config does not
 * import targets (dependencies point inward, DESIGN.md §2): the CLI hands in
 * the registered targets, and each host's and each account type's
 * `targets.<name>` section is then validated by its target's own schema
 * (§9.8), `freeze.keep` against the services that exist, and the targets'
 * order for cycles, all reported as file:line:column like every other problem.
 */
export interface ConfigOptions {
  /** The registered targets. Without them, target sections, services and order are not checked. */
  readonly targets?: readonly ConfigTarget[];
}

export async function loadConfig(path: string, options: ConfigOptions = {}): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const hint = err.code === 'ENOENT' ? '; `roster init` writes an example' : '';
    throw new RosterError('bad_config', `cannot read ${path}: ${err.message}${hint}`, [{ where: path, message: `cannot read: ${err.code ?? err.message}` }]);
  }
  return parseConfig(text, path, options);
}

/** Validates roster.yaml text; `fileName` is used in messages and to resolve relative paths. */
export function parseConfig(text: string, fileName: string, options: ConfigOptions = {}): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const problems: Problem[] = doc.errors.map((e) => {
    if (e.code !== 'DUPLICATE_KEY') return { offset: e.pos[0], path: null, message: e.message };
    const path = pathAtOffset(doc, e.pos[0]);
    return { offset: e.pos[0], path, message: `duplicate key ${JSON.stringify(String(path.at(-1) ?? ''))} (a later value would silently replace an earlier one)` };
  });

  let config: z.output<typeof configSchema> | undefined;
  // After a syntax error the tree is a guess, and validating it would bury
  // the real problem under follow-on noise. Duplicate keys leave it intact.
  if (doc.errors.every((e) => e.code === 'DUPLICATE_KEY')) {
    let raw: unknown;
    let readable = true;
    try {
      raw = doc.toJS({ maxAliasCount: 1000 });
    } catch (e) {
      // Only alias bombs get here ("Excessive alias count").
      readable = false;
      problems.push({ offset: 0, path: null, message: errorMessage(e) });
    }
    if (readable) {
      // An empty file is an empty map, so the report says which keys are required.
      const result = configSchema.safeParse(raw ?? {}, { error: configErrorMap });
      if (result.success) config = result.data;
      else problems.push(...result.error.issues.flatMap((issue) => locate(doc, issue, configSchema, [], options.targets)));
      if (options.targets !== undefined) problems.push(...targetProblems(doc, raw, options.targets));
    }
  }

  if (problems.length > 0 || config === undefined) {
    const issues: ErrorIssue[] = [...problems]
      .sort((a, b) => a.offset - b.offset)
      .map((p) => {
        const { line, col } = lineCounter.linePos(p.offset);
        return { where: `${fileName}:${line}:${col}`, message: `${p.path === null ? 'syntax' : typeof p.path === 'string' ? p.path : formatPath(p.path)}: ${p.message}` };
      });
    throw new RosterError('bad_config', `${fileName} has ${issues.length} problem${issues.length === 1 ? '' : 's'}`, issues);
  }

  const path = resolve(fileName);
  const dir = dirname(path);
  return {
    config: deepFreeze(config),
    path,
    dir,
    databaseUrl: /^postgres(?:ql)?:\/\//i.test(config.database) || config.database === ':memory:' ? config.database : resolve(dir, config.database),
    hmacKeyPath: resolve(dir, config.secrets.hmacKeyFile),
  };
}

type Loose = Readonly<Record<string, unknown>>;

function record(v: unknown): Loose | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Loose) : undefined;
}

/**
 * What the targets check (the file may be partly invalid elsewhere; only
 * well-formed maps are read): each host's and each type's target sections
 * with the targets' own schemas, `freeze.keep` against the services that
 * exist, and whether the targets can be put in an order at all.
 */
function targetProblems(doc: Document, raw: unknown, targets: readonly ConfigTarget[]): Problem[] {
  const problems: Problem[] = [];
  const byName = new Map(targets.map((t) => [t.name, t]));
  const known = [...byName.keys()];
  const sectionProblems = (at: ConfigPath, name: string, section: unknown, schemaOf: (t: ConfigTarget) => z.ZodType | undefined): void => {
    const target = byName.get(name);
    if (target === undefined) {
      const hint = suggestion(name, known) || ` (known targets: ${known.join(', ') || 'none'})`;
      problems.push({ offset: offsetOfPath(doc, at, 'key'), path: at, message: `unknown target${hint}` });
      return;
    }
    const schema = schemaOf(target);
    if (schema === undefined) {
      const takers = targets.filter((t) => t.typeSettings !== undefined).map((t) => t.name);
      problems.push({ offset: offsetOfPath(doc, at, 'key'), path: at, message: `the ${name} target has no settings for account types (targets that have: ${takers.join(', ') || 'none'})` });
      return;
    }
    // `homes:` with nothing after it means "enabled with the defaults".
    const result = schema.safeParse(section ?? {}, { error: configErrorMap });
    if (!result.success) problems.push(...result.error.issues.flatMap((issue) => locate(doc, issue, schema, at)));
  };
  const root = record(raw);
  for (const [host, value] of Object.entries(record(root?.hosts) ?? {})) {
    for (const [name, section] of Object.entries(record(record(value)?.targets) ?? {})) sectionProblems(['hosts', host, 'targets', name], name, section, (t) => t.hostSettings);
  }
  for (const [type, value] of Object.entries(record(root?.types) ?? {})) {
    for (const [name, section] of Object.entries(record(record(value)?.targets) ?? {})) sectionProblems(['types', type, 'targets', name], name, section, (t) => t.typeSettings);
  }
  problems.push(...keepProblems(doc, root, targets), ...orderProblems(doc, root, targets));
  return problems;
}

/** `freeze.keep` names services that exist: Roster's own, those the targets stand for and those the hosts' target settings name. */
function keepProblems(doc: Document, root: Loose | undefined, targets: readonly ConfigTarget[]): Problem[] {
  const keep = record(root?.freeze)?.keep;
  if (!Array.isArray(keep)) return [];
  const { services, partial } = knownServices(targets, record(root?.hosts) ?? {});
  // A target section that names services but does not check is reported itself; its services are not known yet.
  if (partial) return [];
  return keep.flatMap((service: unknown, i) => {
    if (typeof service !== 'string' || services.includes(service)) return [];
    const at: ConfigPath = ['freeze', 'keep', i];
    const hint = suggestion(service, services);
    return [{ offset: offsetOfPath(doc, at), path: at, message: `unknown service "${service}"${hint} (services: ${services.join(', ')})` }];
  });
}

/** A target's `after` that leaves no apply order, reported where a host enables that target (else at the top of the file). */
function orderProblems(doc: Document, root: Loose | undefined, targets: readonly ConfigTarget[]): Problem[] {
  const result = targetOrder(targets);
  if (result.ok) return [];
  const hosts = Object.entries(record(root?.hosts) ?? {});
  return result.problems.map((p) => {
    const host = hosts.find(([, h]) => Object.hasOwn(record(record(h)?.targets) ?? {}, p.target))?.[0];
    const at: ConfigPath | null = host === undefined ? null : ['hosts', host, 'targets', p.target];
    const message = `the ${p.target} target's ${p.message}`;
    return at === null ? { offset: 0, path: `target ${p.target}`, message } : { offset: offsetOfPath(doc, at, 'key'), path: at, message };
  });
}

function locate(doc: Document, issue: z.core.$ZodIssue, schema: z.ZodType, prefix: ConfigPath, targets?: readonly ConfigTarget[]): Problem[] {
  const inner = issue.path;
  const path: ConfigPath = [...prefix, ...inner];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const at = [...path, key];
        const moved = movedTo(path, key, targets);
        if (moved !== undefined) return { offset: offsetOfPath(doc, at, 'key'), path: at, message: `moved to ${moved}` };
        // A near miss of a moved key (`homemode`) is suggested as that key, with where it went.
        const movedKeys = path.length === 2 && path[0] === 'types' ? (targets ?? []).flatMap((t) => Object.keys(t.movedTypeKeys ?? {})) : [];
        const hint = suggestion(key, [...knownKeys(schema, inner), ...movedKeys]);
        const near = movedKeys.find((k) => hint === ` (did you mean ${k}?)`);
        const where = near === undefined ? undefined : movedTo(path, near, targets);
        return { offset: offsetOfPath(doc, at, 'key'), path: at, message: `unknown key${hint}${where === undefined ? '' : `; ${near ?? ''} moved to ${where}`}` };
      });
    case 'invalid_key': {
      const reasons = issue.issues.map((i) => i.message).join('; ');
      return [{ offset: offsetOfPath(doc, path, 'key'), path, message: `bad name ${JSON.stringify(String(path.at(-1) ?? ''))}: ${reasons}` }];
    }
    default:
      return [{ offset: offsetOfPath(doc, path), path, message: issue.message }];
  }
}

/** `types.<t>.homeMode` → `types.<t>.targets.homes.mode`, when a target took the key over. */
function movedTo(path: ConfigPath, key: string, targets: readonly ConfigTarget[] | undefined): string | undefined {
  if (path.length !== 2 || path[0] !== 'types' || targets === undefined) return undefined;
  for (const t of targets) {
    const to = t.movedTypeKeys?.[key];
    if (to !== undefined) return formatPath(['types', path[1] ?? '', 'targets', ...to.split('.')]);
  }
  return undefined;
}

function suggestion(key: string, known: readonly string[]): string {
  let best: { name: string; distance: number } | undefined;
  for (const name of known) {
    const distance = name.toLowerCase() === key.toLowerCase() ? 0 : editDistance(key, name);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best === undefined ? '' : ` (did you mean ${best.name}?)`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** `types.member.hosts.live[0]`; keys that are not plain words are quoted. */
function formatPath(path: ConfigPath): string {
  if (path.length === 0) return '(top level)';
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else {
      const key = String(step);
      out += /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `${out === '' ? '' : '.'}${key}` : `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}
