import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchHomes } from './homes-bench.js';
const dir = await mkdtemp(join(tmpdir(), 'one-'));
console.log(dir);
await benchHomes(dir, (what, s, t) => console.log('REPORT', what, s, t));
