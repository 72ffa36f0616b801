/**
 * The floor of `roster account freeze U --apply shell` for the homes bench
 * (bench/homes-bench.ts): the least a Node.js command can do for the same
 * result, and nothing else. No configuration, no validation, no lock, no
 * audit chain, no plan: a hold and an audit row committed to SQLite (WAL,
 * synchronous NORMAL, as Roster's store), the four account files read and
 * the user's lines found, shadow written with the password locked and the
 * account expired, U appended to cron.deny and to the frozen-users file,
 * each file replaced atomically (fsync, rename, fsync of the directory), and
 * the apply recorded in a second transaction.
 *
 * Plain JavaScript run by plain node (no TypeScript loader), so that what it
 * measures is node starting and doing this work.
 *
 * Usage: node freeze-floor.mjs ROOT DATABASE USER
 */
import { Buffer } from 'node:buffer';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';

const [root, database, user] = process.argv.slice(2);
if (root === undefined || database === undefined || user === undefined) throw new Error('usage: node freeze-floor.mjs ROOT DATABASE USER');

const db = new Database(database);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE IF NOT EXISTS holds (username TEXT, hold TEXT, since TEXT, PRIMARY KEY (username, hold))');
db.exec('CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, at TEXT, entry TEXT)');
const now = new Date().toISOString();
db.transaction(() => {
  db.prepare('INSERT OR REPLACE INTO holds VALUES (?, ?, ?)').run(user, 'freeze:billing', now);
  db.prepare('INSERT INTO audit (at, entry) VALUES (?, ?)').run(now, `freeze ${user}`);
})();

const etc = join(root, 'etc');
const read = (name) => readFileSync(join(etc, name));
const files = { passwd: read('passwd'), shadow: read('shadow'), group: read('group'), gshadow: read('gshadow') };
/** The user's line in a file: its start and end offsets, or null. */
function line(buffer, name) {
  const head = `${name}:`;
  const first = buffer.subarray(0, head.length).toString() === head;
  const start = first ? 0 : buffer.indexOf(`\n${head}`) + 1;
  if (start === 0 && !first) return null;
  const end = buffer.indexOf(10, start);
  return { start, end: end < 0 ? buffer.length : end };
}
for (const name of ['passwd', 'group', 'gshadow']) if (line(files[name], user) === null) throw new Error(`${user} (or their group) is not in ${name}`);
const at = line(files.shadow, user);
if (at === null) throw new Error(`${user} is not in shadow`);
const fields = files.shadow.subarray(at.start, at.end).toString().split(':');
if (!(fields[1] ?? '').startsWith('!')) fields[1] = `!${fields[1] ?? ''}`;
fields[7] = '1';

/** Replaces a file atomically and durably. */
function replace(path, data) {
  const temp = `${path}.floor-${process.pid}`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
/** Appends the user to a one-name-per-line file unless it is there. */
function listed(path) {
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  if (!text.split('\n').includes(user)) replace(path, `${text}${user}\n`);
}

listed(join(etc, 'security/roster-frozen.users'));
listed(join(etc, 'cron.deny'));
replace(join(etc, 'shadow'), Buffer.concat([files.shadow.subarray(0, at.start), Buffer.from(fields.join(':')), files.shadow.subarray(at.end)]));

db.prepare('INSERT INTO audit (at, entry) VALUES (?, ?)').run(new Date().toISOString(), `applied freeze ${user} on shell`);
db.close();
