import { lstat, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { failed, passed, warned, type CheckSubject, type DoctorCheck } from '../doctor-check.js';
import type { GlobalCheck } from '../global-check.js';

const SUBJECT: CheckSubject = { check: 'hmac key' };

function ownerName(uid: number): string {
  try {
    return uid === process.getuid?.() ? userInfo().username : String(uid);
  } catch {
    return String(uid);
  }
}

/**
 * The key of the identity-verification HMACs (roster.yaml
 * `secrets.hmacKeyFile`, or ROSTER_HMAC_KEY): readable by its owner only and
 * owned by the user running Roster (or read by root). Anyone who can read it can test guesses
 * of student numbers and birth dates against the stored hashes.
 */
export const hmacKeyCheck: GlobalCheck = async (ctx) => {
  const env = ctx.system.env.ROSTER_HMAC_KEY;
  if (env !== undefined && env !== '') return [passed(SUBJECT, 'the key comes from ROSTER_HMAC_KEY (the key file is not read)')];
  const path = ctx.loaded.hmacKeyPath;
  const verifying = Object.entries(ctx.loaded.config.sources).filter(([, s]) => Object.keys(s.columns.verification ?? {}).length > 0).map(([name]) => name);
  const create = `(umask 077 && openssl rand -hex 32 > ${path})`;
  const st = await lstat(path).catch((e: unknown) => e as NodeJS.ErrnoException);
  if (st instanceof Error) {
    if (st.code !== 'ENOENT') return [failed(SUBJECT, `cannot read ${path}: ${st.message}`, `run roster doctor as the user that runs Roster (the key's owner)`)];
    if (verifying.length > 0) return [failed(SUBJECT, `${path} does not exist, and sources ${verifying.join(', ')} import verification attributes, which need it`, create)];
    return [warned(SUBJECT, `${path} does not exist: identity-verification attributes cannot be stored or checked until it does`, create)];
  }
  if (!st.isFile()) return [failed(SUBJECT, `${path} is not a regular file`, `rm ${path} && ${create}`)];
  const checks: DoctorCheck[] = [];
  const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
  if ((st.mode & 0o077) !== 0) checks.push(failed(SUBJECT, `${path} is readable or writable by others than its owner (mode ${mode})`, `chmod 0600 ${path}`));
  // Root reads any key: the key then belongs to the user `roster serve` runs
  // as (the Debian package's roster user), and root's commands share it.
  if (st.uid !== ctx.system.uid && ctx.system.uid !== 0) {
    checks.push(failed(SUBJECT, `${path} belongs to uid ${st.uid}, not to the user running Roster (uid ${ctx.system.uid})`, `chown ${ownerName(ctx.system.uid)} ${path}`));
  }
  // Same rule as when a command loads it: at least 32 hex characters (128 bits).
  const text = await readFile(path, 'utf8').catch(() => null);
  const key = text?.trim() ?? '';
  if (text !== null && (key.length < 32 || !/^[0-9a-fA-F]+$/.test(key))) {
    checks.push(failed(SUBJECT, `${path} does not hold a key of at least 32 hex characters`, `mv ${path} ${path}.bad && ${create} (hashes made with the old key can no longer be checked)`));
  }
  if (checks.length === 0) checks.push(passed(SUBJECT, `${path} is readable by its owner only (mode ${mode}, uid ${st.uid})`));
  return checks;
};
