import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type * as z from 'zod';
import { RosterError, type ErrorIssue } from '../domain/errors.js';
import { configErrorMap } from './config-error-map.js';
import { configSchema, type RosterConfig } from './config-schema.js';
import { deepFreeze } from './deep-freeze.js';
import { knownKeys } from './known-keys.js';
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
  readonly path: ConfigPath | null;
  readonly message: string;
}

/**
 * What the caller knows beyond roster.yaml's own schema. Config does not
 * import targets (dependencies point inward, DESIGN.md §2): the CLI hands in
 * the registry's schemas, and each host's `targets.<name>` section is then
 * validated by its target's own schema (§9.8) and reported as file:line:column
 * like every other problem.
 */
export interface ConfigOptions {
  /** Target name → its config schema. Without it, target sections are not checked. */
  readonly targetSchemas?: Readonly<Record<string, z.ZodType>>;
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
      problems.push({ offset: 0, path: null, message: (e as Error).message });
    }
    if (readable) {
      // An empty file is an empty map, so the report says which keys are required.
      const result = configSchema.safeParse(raw ?? {}, { error: configErrorMap });
      if (result.success) config = result.data;
      else problems.push(...result.error.issues.flatMap((issue) => locate(doc, issue, configSchema, [])));
      if (options.targetSchemas !== undefined) problems.push(...targetProblems(doc, raw, options.targetSchemas));
    }
  }

  if (problems.length > 0 || config === undefined) {
    const issues: ErrorIssue[] = [...problems]
      .sort((a, b) => a.offset - b.offset)
      .map((p) => {
        const { line, col } = lineCounter.linePos(p.offset);
        return { where: `${fileName}:${line}:${col}`, message: `${p.path === null ? 'syntax' : formatPath(p.path)}: ${p.message}` };
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

/**
 * Each host's target sections, checked with the targets' own schemas (they
 * may be partly invalid elsewhere; only well-formed host maps are read).
 */
function targetProblems(doc: Document, raw: unknown, schemas: Readonly<Record<string, z.ZodType>>): Problem[] {
  const problems: Problem[] = [];
  const record = (v: unknown): Readonly<Record<string, unknown>> | undefined =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Readonly<Record<string, unknown>>) : undefined;
  const known = Object.keys(schemas);
  for (const [host, value] of Object.entries(record(record(raw)?.hosts) ?? {})) {
    for (const [name, section] of Object.entries(record(record(value)?.targets) ?? {})) {
      const at: ConfigPath = ['hosts', host, 'targets', name];
      const schema = schemas[name];
      if (schema === undefined) {
        const hint = suggestion(name, known) || ` (known targets: ${known.join(', ') || 'none'})`;
        problems.push({ offset: offsetOfPath(doc, at, 'key'), path: at, message: `unknown target${hint}` });
        continue;
      }
      // `homes:` with nothing after it means "enabled with the defaults".
      const result = schema.safeParse(section ?? {}, { error: configErrorMap });
      if (!result.success) problems.push(...result.error.issues.flatMap((issue) => locate(doc, issue, schema, at)));
    }
  }
  return problems;
}

function locate(doc: Document, issue: z.core.$ZodIssue, schema: z.ZodType, prefix: ConfigPath): Problem[] {
  const inner = issue.path;
  const path: ConfigPath = [...prefix, ...inner];
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const at = [...path, key];
        return { offset: offsetOfPath(doc, at, 'key'), path: at, message: `unknown key${suggestion(key, knownKeys(schema, inner))}` };
      });
    case 'invalid_key': {
      const reasons = issue.issues.map((i) => i.message).join('; ');
      return [{ offset: offsetOfPath(doc, path, 'key'), path, message: `bad name ${JSON.stringify(String(path.at(-1) ?? ''))}: ${reasons}` }];
    }
    default:
      return [{ offset: offsetOfPath(doc, path), path, message: issue.message }];
  }
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
