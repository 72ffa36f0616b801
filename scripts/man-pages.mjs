// Writes the manual pages into dist/man/man1 and dist/man/man5 from the
// command definitions (buildProgram), the roster.yaml schema and the
// targets' own schemas, as compiled into dist/ by tsc: the pages never drift
// from what --help and `roster config check` say. The date on the pages is SOURCE_DATE_EPOCH's,
// else the last commit's, so rebuilding the same source gives the same pages.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildProgram } from '../dist/cli/program.js';
import { configSchema } from '../dist/config/config-schema.js';
import { manPages } from '../dist/man-pages/man-pages.js';
import { targetSchemas, typeTargetSchemas } from '../dist/targets/registry.js';

function sourceDate() {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch !== undefined && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000);
  try {
    return new Date(execFileSync('git', ['log', '-1', '--format=%cI'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return new Date();
  }
}

const { version } = JSON.parse(await readFile('package.json', 'utf8'));
const out = process.argv[2] ?? 'dist/man';
await rm(out, { recursive: true, force: true });
for (const page of manPages(buildProgram(), configSchema, { date: sourceDate().toISOString().slice(0, 10), version }, targetSchemas(), typeTargetSchemas())) {
  const dir = join(out, `man${page.section}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, `${page.name}.${page.section}`), page.text);
}
