/**
 * One of several processes creating accounts in the same database at once
 * (the concurrency test): argv = config path, database url, worker number, count.
 */
import type { AppContext } from '../src/app/app-context.js';
import { createAccount } from '../src/app/accounts.js';
import { addPerson } from '../src/app/people.js';
import { loadConfig } from '../src/config/load-config.js';
import { systemClock } from '../src/domain/clock.js';
import { openStore } from '../src/store/open-store.js';

const [configPath, databaseUrl, workerText, countText] = process.argv.slice(2);
if (configPath === undefined || databaseUrl === undefined || workerText === undefined || countText === undefined) {
  throw new Error('usage: create-worker CONFIG DATABASE WORKER COUNT');
}
const loaded = await loadConfig(configPath);
const store = await openStore(databaseUrl);
const ctx: AppContext = {
  store,
  config: loaded.config,
  clock: systemClock,
  actor: `test:worker${workerText}`,
  hmacKey: Buffer.alloc(32, 1),
  hasher: { hash: () => { throw new Error('no passwords in this test'); } },
  log: { info: () => undefined, warn: () => undefined },
};
const created: Array<{ username: string; uid: number }> = [];
for (let i = 0; i < Number(countText); i++) {
  const id = `W${workerText}-${i}`;
  // Every worker uses the same names in the same order, so they race for the same usernames too.
  await addPerson(ctx, { id, firstName: 'Jamie', lastName: `Lee${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`, roles: ['MEMBER'] });
  const a = await createAccount(ctx, { personId: id, type: 'member' });
  created.push({ username: a.username, uid: a.uid });
}
await store.close();
process.stdout.write(JSON.stringify(created));
