import * as z from 'zod';
import type { WatchReport } from './watch-report.js';

/**
 * A change report as it crosses the wire from a host to `roster serve`
 * (POST /api/v1/hosts/{host}/watch-reports) and as the API answers it:
 * names, modes, owners, versions and explanations only. There is no field
 * for content or hashes, and unknown fields are refused, so no diff can
 * reach the server (seed GlobeNet: config holds secrets).
 */
const iso = z.iso.datetime({ offset: true });
const short = z.string().max(256);
const path = z.string().startsWith('/').max(4096);
const mode = z.string().regex(/^0[0-7]{3,4}$/);

const fileMeta = z.strictObject({ type: z.enum(['file', 'dir', 'symlink', 'other']), mode, owner: short, group: short, target: z.string().max(4096).exactOptional() });

const explanation = z.strictObject({ kind: z.enum(['apply', 'apt', 'changelog']), at: iso, by: short, text: z.string().max(4096).exactOptional() });

const packageChanges = {
  installed: z.array(z.strictObject({ name: short, version: short })).max(100_000),
  removed: z.array(z.strictObject({ name: short, version: short, purged: z.boolean() })).max(100_000),
  upgraded: z.array(z.strictObject({ name: short, from: short, to: short })).max(100_000),
  downgraded: z.array(z.strictObject({ name: short, from: short, to: short })).max(100_000),
};

const count = z.int().min(0);

export const watchReportSchema = z.strictObject({
  version: z.literal(1),
  id: z.string().regex(/^[A-Za-z0-9-]{1,64}$/).meta({ description: "the report's id on its host (`roster watch diff ID` there shows its diffs)" }),
  host: short.nullable(),
  madeAt: iso,
  from: iso,
  to: iso,
  lastChangeAt: iso,
  baseline: short,
  head: short,
  dirs: z.array(path).max(64),
  changelog: z.array(z.strictObject({ at: iso, author: short, text: z.string().max(65_536), source: short })).max(10_000),
  files: z
    .array(
      z.strictObject({
        path,
        change: z.enum(['added', 'removed', 'modified']),
        content: z.boolean(),
        before: fileMeta.nullable(),
        after: fileMeta.nullable(),
        withheld: z.enum(['secret', 'large', 'unreadable']).exactOptional(),
        package: short.exactOptional(),
        explainedBy: z.array(explanation).max(100),
        unexplained: z.boolean(),
      }),
    )
    .max(100_000),
  packages: z.strictObject({
    ...packageChanges,
    configChanged: z.array(short).max(100_000),
    operations: z
      .array(z.strictObject({ at: iso, command: z.string().max(1000).nullable(), user: short.nullable(), changes: z.strictObject(packageChanges), explainedBy: z.array(explanation).max(100), unexplained: z.boolean() }))
      .max(1000),
  }),
  applies: z.array(z.strictObject({ at: iso, actor: short, changes: count, files: count })).max(10_000),
  counts: z.strictObject({ files: count, added: count, removed: count, modified: count, unexplained: count, packages: count, changelog: count }),
}) satisfies z.ZodType<WatchReport>;
