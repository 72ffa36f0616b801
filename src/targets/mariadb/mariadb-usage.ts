import type { Connection } from 'mariadb';
import type { DesiredHost } from '../../desired/desired-host.js';
import type { UsageItem } from '../target.js';
import { MARIADB_DATABASE } from './mariadb-database-kind.js';
import { TARGET } from './mariadb-observed.js';
import { readMeta } from './roster-meta.js';

/**
 * Bytes per database for its owner (seed SoftwareArchitecturePlans 3.5):
 * data and indexes as information_schema.TABLES reports them (InnoDB's
 * statistics, refreshed as tables change and by ANALYZE TABLE). Only
 * databases Roster manages for that owner count; one with no tables is 0.
 */
export async function databaseUsage(c: Connection, desired: DesiredHost): Promise<UsageItem[]> {
  const meta = new Map((await readMeta(c)).databases.map((d) => [d.name, d.owner]));
  const wanted = (desired.resources?.[TARGET] ?? []).filter((r) => r.kind === MARIADB_DATABASE && meta.get(r.name) === r.owner);
  if (wanted.length === 0) return [];
  const rows = await c.query<Array<{ name: string; bytes: number }>>(
    'SELECT s.SCHEMA_NAME AS name, CAST(COALESCE(SUM(t.DATA_LENGTH + t.INDEX_LENGTH), 0) AS UNSIGNED) AS bytes FROM information_schema.SCHEMATA s LEFT JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = s.SCHEMA_NAME WHERE s.SCHEMA_NAME IN (?) GROUP BY s.SCHEMA_NAME',
    [wanted.map((r) => r.name)],
  );
  const bytes = new Map(rows.map((r) => [r.name, r.bytes]));
  return wanted.filter((r) => bytes.has(r.name)).map((r) => ({ account: r.owner, subject: `${MARIADB_DATABASE}:${r.name}`, bytes: bytes.get(r.name) ?? 0 }));
}
