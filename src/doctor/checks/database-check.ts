import { failed, passed, type CheckSubject } from '../doctor-check.js';
import type { GlobalCheck } from '../global-check.js';

const SUBJECT: CheckSubject = { check: 'database' };
// Every command that opens the store creates the SQLite file and applies the migrations; this one only reads.
const MIGRATE = 'roster audit verify (any command that opens the database creates it and applies the migrations)';

/** The database reachable and its schema current, read without creating or migrating anything. */
export const databaseCheck: GlobalCheck = async (ctx) => {
  // Imported here so that other commands never load both database drivers at start.
  const { readSchemaStatus } = await import('../../store/read-schema-status.js');
  const probe = await readSchemaStatus(ctx.databaseUrl);
  if (probe.state === 'no-file') return [failed(SUBJECT, `the database ${probe.where} does not exist yet`, MIGRATE)];
  if (probe.state === 'unreachable') {
    const fix = /^postgres(ql)?:/i.test(ctx.databaseUrl)
      ? `start PostgreSQL or correct the address (--db, DATABASE_URL or database in ${ctx.loaded.path})`
      : `check that ${probe.where} is a Roster database readable by this user, or correct database in ${ctx.loaded.path}`;
    return [failed(SUBJECT, `cannot read the database ${probe.where}: ${probe.reason}`, fix)];
  }
  if (probe.unknown.length > 0) {
    return [failed(SUBJECT, `the database ${probe.where} has migrations this Roster does not know (${probe.unknown.join(', ')}): a newer Roster uses it`, 'upgrade Roster to the version that migrated it')];
  }
  if (probe.missing.length > 0) return [failed(SUBJECT, `the database ${probe.where} lacks migrations ${probe.missing.join(', ')}`, MIGRATE)];
  return [passed(SUBJECT, `the database ${probe.where} is reachable and its schema is current`)];
};
