import * as z from 'zod';
import { type ManPage, nameLine, type PageHeader, titleLine } from './command-page.js';
import { roffArgument, roffBold, roffItalic, roffLiteral, roffText } from './roff.js';

type JsonSchema = z.core.JSONSchema.JSONSchema;

/** One key of the file: its path (`types.<name>.shell`), schema and whether it must be given. */
interface Entry {
  /** Key names, `<name>` for a map's keys, `[]` for a list's items. */
  readonly path: readonly string[];
  readonly schema: JsonSchema;
  readonly required: boolean;
}

function asSchema(value: unknown): JsonSchema | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonSchema) : undefined;
}

/** How a map's keys and a list's items appear in a key's path. */
const MAP_KEY = '<name>';
const LIST_ITEM = '[]';

function hasKeys(schema: JsonSchema): boolean {
  return schema.properties !== undefined || asSchema(schema.additionalProperties) !== undefined;
}

/**
 * The mapping whose keys are listed below an entry: its own properties, a
 * map's values (additionalProperties) or a list's items; none for a scalar.
 */
function children(schema: JsonSchema): { readonly step: string | null; readonly object: JsonSchema } | undefined {
  if (schema.properties !== undefined) return { step: null, object: schema };
  const values = asSchema(schema.additionalProperties);
  if (values !== undefined && hasKeys(values)) return { step: MAP_KEY, object: values };
  const items = asSchema(schema.items);
  if (items !== undefined && hasKeys(items)) return { step: LIST_ITEM, object: items };
  return undefined;
}

/** Every key below `schema`, depth first, each followed by the keys inside it. */
function entries(schema: JsonSchema, path: readonly string[]): Entry[] {
  const inner = children(schema);
  if (inner === undefined) return [];
  const base = inner.step === null ? path : [...path, inner.step];
  if (inner.object.properties === undefined) return entries(inner.object, base);
  const required = new Set(inner.object.required ?? []);
  return Object.entries(inner.object.properties).flatMap(([key, value]) => {
    const child = asSchema(value) ?? {};
    const entry: Entry = { path: [...base, key], schema: child, required: required.has(key) };
    return [entry, ...entries(child, entry.path)];
  });
}

function bounds(schema: JsonSchema): string {
  // Zod gives every integer the safe-integer range; only a real limit is worth a reader's time.
  const max = schema.maximum !== undefined && schema.maximum < Number.MAX_SAFE_INTEGER ? schema.maximum : undefined;
  const min = schema.minimum !== undefined && schema.minimum > Number.MIN_SAFE_INTEGER ? schema.minimum : undefined;
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` of at least ${min}`;
  if (max !== undefined) return ` of at most ${max}`;
  return '';
}

/** The type of a key in words: "integer from 1 to 65535", "list of string", "one of none, smtp, sendmail". */
export function typeText(schema: JsonSchema): string {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives !== undefined) return [...new Set(alternatives.map(typeText))].join(' or ');
  if (schema.enum !== undefined) return `one of ${schema.enum.map((v) => String(v)).join(', ')}`;
  if (schema.const !== undefined) return String(schema.const);
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : schema.type;
  switch (type) {
    case 'integer':
    case 'number':
      return `${type}${bounds(schema)}`;
    case 'string':
      // A long pattern (an e-mail address, a domain name) says less than the description does.
      return schema.pattern !== undefined && schema.pattern.length <= MAX_PATTERN ? `string matching ${schema.pattern}` : 'string';
    case 'array': {
      const items = asSchema(schema.items);
      return items === undefined ? 'list' : `list of ${typeText(items)}`;
    }
    case 'object': {
      if (schema.properties !== undefined) return 'mapping';
      const values = asSchema(schema.additionalProperties);
      return values === undefined ? 'mapping' : `map of names to ${typeText(values)}`;
    }
    case undefined:
      return 'any value';
    default:
      return type;
  }
}

const MAX_PATTERN = 40;

const YAML_WORDS = /^(true|false|yes|no|on|off|null|~)$/i;

/** A default as it would be written in the file, in YAML's flow style. */
export function yamlText(value: unknown): string {
  if (typeof value === 'string') {
    const plain = /^[A-Za-z_/][A-Za-z0-9_./@-]*$/.test(value) && !YAML_WORDS.test(value);
    // Single quotes: no escapes inside but '' for a quote, so a regular expression reads as written.
    return plain ? value : `'${value.replace(/'/g, "''")}'`;
  }
  if (Array.isArray(value)) return `[${value.map(yamlText).join(', ')}]`;
  if (typeof value === 'object' && value !== null) return `{${Object.entries(value).map(([k, v]) => `${k}: ${yamlText(v)}`).join(', ')}}`;
  return String(value);
}

/** `types.<name>.shell` in roff: names bold, placeholders italic. */
function roffPath(path: readonly string[]): string {
  let out = '';
  path.forEach((step, i) => {
    if (step === LIST_ITEM) out += roffBold('[]');
    else if (step === MAP_KEY) out += `${roffBold('.')}${roffItalic('name')}`;
    else out += roffBold(i === 0 ? step : `.${step}`);
  });
  return out;
}

function defaultText(schema: JsonSchema): string | undefined {
  // A default computed when Roster runs (the host's time zone) is said in words, not as the build machine's value.
  if (typeof schema.defaultDescription === 'string') return roffText(schema.defaultDescription);
  const value = schema.default;
  if (value === undefined) return undefined;
  // An empty mapping as default only says the section may be left out; its keys carry the real defaults.
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0) return undefined;
  return roffLiteral(yamlText(value));
}

/** "string; default: roster.db" or "integer; required". */
function facts(entry: Entry): string {
  const out = [roffItalic(typeText(entry.schema))];
  const fallback = defaultText(entry.schema);
  if (fallback !== undefined) out.push(`default: ${fallback}`);
  else if (entry.required) out.push('required');
  return out.join('; ');
}

/** A key below the top: its path as the tag, then what it is. */
function entryLines(entry: Entry): string[] {
  const out = ['.TP', `${roffPath(entry.path)} (${facts(entry)})`];
  // A key without a description is listed all the same, with its type and default.
  if (entry.schema.description !== undefined) out.push(roffText(entry.schema.description));
  return out;
}

/** A top-level key's section: what the key is, then the keys inside it. */
function sectionLines(entry: Entry): string[] {
  const out = [`.SH ${roffArgument(entry.path.join('.'))}`, `${roffPath(entry.path)} (${facts(entry)})`];
  if (entry.schema.description !== undefined) out.push('.PP', roffText(entry.schema.description));
  for (const inner of entries(entry.schema, entry.path)) out.push(...entryLines(inner));
  return out;
}

/** Input side, as written in the file (sizes as 5G, modes as '0750'), before parsing turns it into values. */
function inputSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', reused: 'inline', cycles: 'throw' });
}

/**
 * TARGETS: each target's section of a host (`hosts.<name>.targets.<target>`)
 * and, for targets that take them, of an account type
 * (`types.<name>.targets.<target>`), from the target's own schemas, as the
 * configuration schema leaves those sections to the targets.
 */
function targetLines(targets: Readonly<Record<string, z.ZodType>>, typeTargets: Readonly<Record<string, z.ZodType>>): string[] {
  const names = Object.keys(targets);
  if (names.length === 0) return [];
  const out = [
    '.SH TARGETS',
    roffText('A host enables a target by naming it under its targets, with the target\'s settings or {} for the defaults. Some targets also take settings per account type, under the type\'s targets; a type that names none gets the defaults. Each target checks its own sections as strictly as the rest of the file.'),
  ];
  const section = (schema: z.ZodType, path: readonly string[]): void => {
    const json = inputSchema(schema);
    out.push(roffPath(path));
    if (json.description !== undefined) out.push('.PP', roffText(json.description));
    for (const inner of entries(json, path)) out.push(...entryLines(inner));
  };
  for (const name of names) {
    out.push(`.SS ${roffArgument(name)}`);
    section(targets[name] as z.ZodType, ['hosts', MAP_KEY, 'targets', name]);
    const typeSchema = typeTargets[name];
    if (typeSchema !== undefined) {
      out.push('.PP');
      section(typeSchema, ['types', MAP_KEY, 'targets', name]);
    }
  }
  return out;
}

/**
 * roster.yaml(5) from the configuration schema: a section per top-level key,
 * each key below it with its type, default and description (keys without a
 * description are listed all the same), then each target's host and type sections.
 */
export function configPage(schema: z.ZodType, header: PageHeader, targets: Readonly<Record<string, z.ZodType>> = {}, typeTargets: Readonly<Record<string, z.ZodType>> = {}): ManPage {
  const json = inputSchema(schema);
  const out = [titleLine('roster.yaml', 5, header), '.SH NAME', nameLine('roster.yaml', 'the configuration file of roster'), '.SH DESCRIPTION'];
  if (json.description !== undefined) out.push(roffText(json.description), '.PP');
  out.push(
    roffText(
      'A YAML file. Every mapping is strict: a key not described here is an error, so a typo is reported rather than ignored; `roster config check` reports every problem with its line and column.',
    ),
    '.PP',
    roffText(
      'Each top-level key has a section below. A key inside another is written with dots, the keys of a map of names (hosts, types, sources) as name, and the items of a list of mappings as [].',
    ),
  );
  const required = new Set(json.required ?? []);
  for (const [key, value] of Object.entries(json.properties ?? {})) {
    out.push(...sectionLines({ path: [key], schema: asSchema(value) ?? {}, required: required.has(key) }));
  }
  out.push(...targetLines(targets, typeTargets));
  out.push('.SH FILES', '.TP', roffBold('/etc/roster/roster.yaml'), roffText('the configuration the Debian package installs; the --config option of roster(1) says where else roster looks'));
  out.push('.SH SEE ALSO', `${roffBold('roster')}(1), ${roffBold('roster-config')}(1)`);
  return { name: 'roster.yaml', section: 5, text: `${out.join('\n')}\n` };
}
