/**
 * Makes a TypeScript entry point runnable by plain `node`, for tests that
 * start (and kill) many short-lived processes: `tsx` costs ~0.4 s of CPU per
 * start, plain node a fraction of that. Follows the entry's relative imports,
 * transpiles each file with the project's own TypeScript (no type check, no
 * bundling: the output mirrors the source tree), and links node_modules in so
 * bare imports resolve. Always from the current sources, so never stale the
 * way dist/ can be.
 */
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

const REPO = resolve(import.meta.dirname, '..');
const RELATIVE_IMPORT = /(?:import|export)\s[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)\.js['"]|import\s*\(\s*['"](\.{1,2}\/[^'"]+)\.js['"]\s*\)/g;

/** Returns the path of the transpiled entry inside `outDir`. */
export async function transpileForNode(entry: string, outDir: string): Promise<string> {
  const seen = new Set<string>();
  const queue = [resolve(entry)];
  while (queue.length > 0) {
    const file = queue.pop();
    if (file === undefined || seen.has(file)) continue;
    seen.add(file);
    const source = await readFile(file, 'utf8');
    for (const m of source.matchAll(RELATIVE_IMPORT)) {
      const spec = m[1] ?? m[2];
      if (spec !== undefined) queue.push(resolve(dirname(file), `${spec}.ts`));
    }
    const out = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, sourceMap: false },
    });
    const target = join(outDir, relative(REPO, file)).replace(/\.ts$/, '.js');
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, out.outputText);
  }
  await writeFile(join(outDir, 'package.json'), '{"type":"module"}\n');
  await symlink(join(REPO, 'node_modules'), join(outDir, 'node_modules')).catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  });
  return join(outDir, relative(REPO, resolve(entry))).replace(/\.ts$/, '.js');
}
