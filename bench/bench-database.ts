/**
 * Which database the server-side benches run on, and their bulk loads.
 *
 * BENCH_DATABASE=postgres runs them on the machine's PostgreSQL cluster
 * (BENCH_PG, else ROSTER_TEST_PG, else postgres://postgres@127.0.0.1:5432/postgres):
 * each part gets a database of its own, `roster_bench_<pid>_<part>`, created
 * when the part starts and dropped after it (also when it fails or is
 * interrupted; main.ts drops any left at the end). Unset or `sqlite`: an
 * SQLite file under the bench's temp directory.
 *
 * The loads write rows directly (prepared statements on SQLite, multi-row
 * inserts from arrays on PostgreSQL), so the figures are the requests and
 * jobs, not the load.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

export type BenchDialect = 'sqlite' | 'postgres';

/** BENCH_DATABASE: sqlite (default) or postgres. */
export function benchDialect(): BenchDialect {
  const v = (process.env.BENCH_DATABASE ?? 'sqlite').trim().toLowerCase();
  if (v === 'sqlite' || v === '') return 'sqlite';
  if (v === 'postgres' || v === 'postgresql' || v === 'pg') return 'postgres';
  throw new Error(`BENCH_DATABASE "${v}" is neither sqlite nor postgres`);
}

function adminUrl(): string {
  return process.env.BENCH_PG ?? process.env.ROSTER_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

export interface BenchDatabase {
  readonly dialect: BenchDialect;
  /** What roster.yaml's `database:` and openStore take. */
  readonly url: string;
  /** Deletes the database (PostgreSQL, with its connections); nothing for SQLite (the temp directory goes). */
  drop(): Promise<void>;
}

const created = new Set<string>();

async function admin(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** A fresh database for the bench part `part`, on the dialect BENCH_DATABASE names. */
export async function benchDatabase(dir: string, part: string): Promise<BenchDatabase> {
  const dialect = benchDialect();
  if (dialect === 'sqlite') return { dialect, url: join(dir, `${part}.db`), drop: async () => undefined };
  const name = `roster_bench_${process.pid}_${part.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`;
  await admin(`drop database if exists ${name} with (force)`);
  await admin(`create database ${name}`);
  created.add(name);
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  return {
    dialect,
    url: url.toString(),
    async drop() {
      if (!created.delete(name)) return;
      // FORCE: a server that was stopped by signal may still hold connections for a moment.
      await admin(`drop database if exists ${name} with (force)`);
    },
  };
}

/** Drops every bench database still there (main.ts, at the end, whatever happened). */
export async function dropBenchDatabases(): Promise<void> {
  for (const name of [...created]) {
    created.delete(name);
    await admin(`drop database if exists ${name} with (force)`).catch((e: unknown) => process.stderr.write(`bench: dropping database ${name}: ${String(e)}\n`));
  }
}

/** The database's name as the bench reports it. */
export function describeDatabase(db: BenchDatabase): string {
  return db.dialect === 'sqlite' ? 'SQLite' : `PostgreSQL (${new URL(db.url).pathname.slice(1)})`;
}

export interface LedgerRow {
  readonly at: string;
  readonly kind: 'charge' | 'payment';
  readonly amountCents: number;
  readonly note: string;
}

export interface MemberLoad {
  /** Members 1…count: person P<i>, account id i `u<i>x` (UID 100000+i) of type member. */
  readonly count: number;
  /** A SCIM record for each (userName User<i>@Example.org, externalId ext-<i>). */
  readonly scim?: boolean;
  /** Ledger entries of member i (billing's input). */
  readonly ledger?: (i: number) => readonly LedgerRow[];
}

const T = '2026-01-01T00:00:00.000Z';

interface Rows {
  readonly people: unknown[][];
  readonly accounts: unknown[][];
  readonly scim: unknown[][];
  readonly ledger: unknown[][];
}

function rowsOf(load: MemberLoad, from: number, to: number): Rows {
  const rows: Rows = { people: [], accounts: [], scim: [], ledger: [] };
  for (let i = from; i <= to; i++) {
    const name = `u${i}x`;
    const mail = `user${i}@example.org`;
    rows.people.push([`P${i}`, 'Bench', `User${i}`, JSON.stringify({ WORK: mail })]);
    rows.accounts.push([i, `P${i}`, name, 100_000 + i, 100_000 + i, name, `Bench User${i}`, `/home/${name}`]);
    if (load.scim === true) rows.scim.push([i, `User${i}@Example.org`, `ext-${i}`, JSON.stringify({ displayName: `Bench User${i}`, emails: [{ value: mail, type: 'work', primary: true }] })]);
    for (const l of load.ledger?.(i) ?? []) rows.ledger.push([`P${i}`, l.at, l.kind, l.amountCents, l.note]);
  }
  return rows;
}

function loadSqlite(file: string, load: MemberLoad): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  const person = db.prepare(`insert into people (id, source, first_name, last_name, roles, classes, campuses, majors, emails, verification, created_at, updated_at) values (?, 'scim', ?, ?, '["MEMBER"]', '[]', '[]', '[]', ?, '{}', '${T}', '${T}')`);
  const account = db.prepare(
    `insert into accounts (id, person_id, type, username, uid, gid, primary_group, gecos, shell, home, password_hash, principal, groups, expires_at, purge_at, purged_at, pending, created_at, updated_at)
     values (?, ?, 'member', ?, ?, ?, ?, ?, '/bin/bash', ?, null, null, '[]', null, null, null, 0, '${T}', '${T}')`,
  );
  const scim = db.prepare(`insert into scim_users (account_id, user_name, external_id, deleted_at, attributes, created_at, updated_at) values (?, ?, ?, null, ?, '${T}', '${T}')`);
  const ledger = db.prepare('insert into ledger (person_id, at, kind, amount_cents, note) values (?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let from = 1; from <= load.count; from += 10_000) {
      const r = rowsOf(load, from, Math.min(load.count, from + 9_999));
      for (const row of r.people) person.run(...row);
      for (const row of r.accounts) account.run(...row);
      for (const row of r.scim) scim.run(...row);
      for (const row of r.ledger) ledger.run(...row);
    }
  })();
  db.pragma('optimize');
  db.close();
}

/** Columns of `rows` as arrays, one per column: `unnest($1::text[], …)` turns them back into rows in one statement. */
function columns(rows: readonly unknown[][], width: number): unknown[][] {
  return Array.from({ length: width }, (_, c) => rows.map((r) => r[c]));
}

async function loadPostgres(url: string, load: MemberLoad): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('begin');
    for (let from = 1; from <= load.count; from += 10_000) {
      const r = rowsOf(load, from, Math.min(load.count, from + 9_999));
      await client.query(
        `insert into people (id, source, first_name, last_name, roles, classes, campuses, majors, emails, verification, created_at, updated_at)
         select id, 'scim', f, l, '["MEMBER"]', '[]', '[]', '[]', e, '{}', '${T}', '${T}' from unnest($1::text[], $2::text[], $3::text[], $4::text[]) as t(id, f, l, e)`,
        columns(r.people, 4),
      );
      await client.query(
        `insert into accounts (id, person_id, type, username, uid, gid, primary_group, gecos, shell, home, password_hash, principal, groups, expires_at, purge_at, purged_at, pending, created_at, updated_at)
         select id, p, 'member', u, uid, gid, pg, g, '/bin/bash', h, null, null, '[]', null, null, null, 0, '${T}', '${T}'
         from unnest($1::int[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[], $7::text[], $8::text[]) as t(id, p, u, uid, gid, pg, g, h)`,
        columns(r.accounts, 8),
      );
      if (r.scim.length > 0) {
        await client.query(
          `insert into scim_users (account_id, user_name, external_id, deleted_at, attributes, created_at, updated_at)
           select id, n, x, null, a, '${T}', '${T}' from unnest($1::int[], $2::text[], $3::text[], $4::text[]) as t(id, n, x, a)`,
          columns(r.scim, 4),
        );
      }
      if (r.ledger.length > 0) {
        await client.query('insert into ledger (person_id, at, kind, amount_cents, note) select * from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[])', columns(r.ledger, 5));
      }
    }
    // Accounts were given their ids: the identity goes on after them.
    await client.query("select setval(pg_get_serial_sequence('accounts', 'id'), (select max(id) from accounts))");
    await client.query('commit');
    await client.query('analyze');
  } finally {
    await client.end();
  }
}

/**
 * Members straight into the tables of a store that openStore has already
 * made (schema at its latest version), in one transaction.
 */
export async function loadMembers(db: BenchDatabase, load: MemberLoad): Promise<void> {
  if (db.dialect === 'sqlite') loadSqlite(db.url, load);
  else await loadPostgres(db.url, load);
}
