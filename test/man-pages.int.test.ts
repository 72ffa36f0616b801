import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../src/cli/program.js';
import { configSchema } from '../src/config/config-schema.js';
import { targetSchemas, typeTargetSchemas } from '../src/targets/registry.js';
import { subcommands } from '../src/man-pages/command-page.js';
import { flatText, hasMan, renderMan } from '../src/man-pages/render-man.js';

/**
 * The pages `npm run build` writes into dist/man, held to groff's warnings
 * and to the program: every command and option the program has today must be
 * in its page, so a new option shows up there without anyone editing a page.
 */
const MAN = 'dist/man';
const built = existsSync(join(MAN, 'man1', 'roster.1'));
const program = buildProgram();
/** The commands a reader can call (hidden ones, such as the worker `roster serve` starts, have no page). */
const commands = subcommands(program);

function pageText(section: number, name: string): string {
  return flatText(renderMan(readFileSync(join(MAN, `man${section}`, `${name}.${section}`), 'utf8')).text);
}

function below(c: Command): Command[] {
  return subcommands(c).flatMap((s) => [s, ...below(s)]);
}

function path(c: Command): string {
  return c.parent === null ? c.name() : `${path(c.parent)} ${c.name()}`;
}

describe.skipIf(!built || !hasMan())('the built man pages', () => {
  it('are roster(1), one page per top-level command and roster.yaml(5), and render without a warning', () => {
    const pages = [...readdirSync(join(MAN, 'man1')).map((f) => `man1/${f}`), ...readdirSync(join(MAN, 'man5')).map((f) => `man5/${f}`)].sort();
    const expected = ['man1/roster.1', ...commands.map((c) => `man1/roster-${c.name()}.1`), 'man5/roster.yaml.5'].sort();
    expect(pages).toEqual(expected);
    for (const page of pages) {
      const { warnings, text } = renderMan(readFileSync(join(MAN, page), 'utf8'));
      expect({ page, warnings }).toEqual({ page, warnings: '' });
      expect(text.length).toBeGreaterThan(200);
    }
  });

  it('roster(1) names every top-level command and its page, and every global option', () => {
    const text = pageText(1, 'roster');
    for (const c of commands) expect(text).toContain(`roster-${c.name()}(1)`);
    // A page sets an argument's name in italics, without commander's <> and []: `--config <file>` reads `--config file`.
    for (const o of program.options) expect(text).toContain(o.flags.replace(/[<>[\]]/g, ''));
  });

  it('each command page has every subcommand and every option below its command', () => {
    for (const top of commands) {
      const text = pageText(1, `roster-${top.name()}`);
      for (const c of [top, ...below(top)]) {
        expect(text).toContain(path(c));
        for (const o of c.options) expect({ command: path(c), option: o.long ?? o.short, found: text.includes(o.long ?? o.short ?? '') }).toMatchObject({ found: true });
      }
    }
  });

  it('roster.yaml(5) has a section per top-level key, every key below it and every target setting, each described', () => {
    const text = pageText(5, 'roster.yaml');
    const found = (keys: readonly Key[]) => keys.map(({ key }) => ({ key, found: text.includes(`${key} (`) }));
    const keys = keysOf(configSchema, '');
    expect(keys.length).toBeGreaterThan(50);
    expect(found(keys).filter((k) => !k.found)).toEqual([]);
    // The page is made from the descriptions: a key added without one fails here.
    expect(keys.filter((k) => !k.described).map((k) => k.key)).toEqual([]);
    for (const [name, schema] of Object.entries(targetSchemas())) {
      const targetKeys = keysOf(schema, `hosts.name.targets.${name}`);
      expect(targetKeys.length).toBeGreaterThan(0);
      expect(found(targetKeys).filter((k) => !k.found)).toEqual([]);
      expect(targetKeys.filter((k) => !k.described).map((k) => k.key)).toEqual([]);
      expect(text).toContain(`hosts.name.targets.${name}`);
    }
    // The targets' settings per account type, too.
    expect(Object.keys(typeTargetSchemas()).length).toBeGreaterThan(0);
    for (const [name, schema] of Object.entries(typeTargetSchemas())) {
      const typeKeys = keysOf(schema, `types.name.targets.${name}`);
      expect(typeKeys.length).toBeGreaterThan(0);
      expect(found(typeKeys).filter((k) => !k.found)).toEqual([]);
      expect(typeKeys.filter((k) => !k.described).map((k) => k.key)).toEqual([]);
      expect(text).toContain(`types.name.targets.${name}`);
    }
  });
});

interface Key {
  readonly key: string;
  readonly described: boolean;
}

/** Every key below a schema, written as the page writes them: dots between keys, name for a map's keys, [] for a list's items. */
function keysOf(schema: z.ZodType, base: string): Key[] {
  const keys: Key[] = [];
  const walk = (node: unknown, at: string): void => {
    if (typeof node !== 'object' || node === null) return;
    const s = node as { properties?: Record<string, unknown>; additionalProperties?: unknown; items?: unknown };
    if (s.properties !== undefined) {
      for (const [k, v] of Object.entries(s.properties)) {
        const key = at === '' ? k : `${at}.${k}`;
        keys.push({ key, described: typeof (v as { description?: unknown }).description === 'string' });
        walk(v, key);
      }
    } else if (typeof s.additionalProperties === 'object') walk(s.additionalProperties, `${at}.name`);
    else if (typeof s.items === 'object') walk(s.items, `${at}[]`);
  };
  walk(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', reused: 'inline' }), base);
  return keys;
}
