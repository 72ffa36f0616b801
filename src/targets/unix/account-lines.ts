import type { DesiredAccount } from '../../desired/desired-host.js';
import { gecosProblem } from '../../domain/gecos.js';
import { joined, toEtcBytes } from './etc-text.js';

/** The passwd and shadow lines of one account, as file bytes (see etc-text.ts). */
export interface AccountLines {
  readonly passwd: string;
  readonly shadow: string;
}

// useradd's NAME_REGEX default plus the trailing `$` Samba machine accounts use;
// anything else could split a line or be read as NIS compat (`+`, `-`).
const NAME = /^[a-z_][a-z0-9_.-]{0,31}\$?$/;
const MAX_ID = 4_294_967_294;
const UNSAFE = /[\u0000-\u001f\u007f:]/;
const SPACE = /\s/;

/**
 * Renders an account the way `useradd` does (shadow-utils 4.13 with no
 * login.defs aging: min, max, warn and inactive empty), with the freeze rule
 * of DESIGN.md §3: while disabled the password field gets a `!` in front and
 * the expiry is day 1; while a retirement is scheduled the expiry is that
 * day. Nothing else depends on the holds, so unfreezing gives back the very
 * same bytes.
 */
export function accountLines(a: DesiredAccount): AccountLines {
  return { passwd: passwdLine(a), shadow: shadowLine(a) };
}

/** The account's passwd line alone (apply renders each file's lines as it writes the file). */
export function passwdLine(a: DesiredAccount): string {
  return toEtcBytes(joined([a.username, 'x', a.uid, a.gid, a.gecos, a.home, a.shell], ':'));
}

export function shadowLine(a: DesiredAccount): string {
  const password = a.disabled ? `!${a.passwordField}` : a.passwordField;
  const expire = a.disabled ? '1' : a.expiryDay === null ? '' : String(a.expiryDay);
  return toEtcBytes(joined([a.username, password, a.lastChangeDay, '', '', '', '', expire, ''], ':'));
}

// One pass for the common case; the field-by-field checks below only run to name the culprit.
// (Every expression is made once here: a literal in a function body is a new object per call.)
const FREE_TEXT_OK = /^[^\u0000-\u001f\u007f:,=]{0,255}$/;
const PATH_OK = /^\/[^\u0000-\u001f\u007f:]*$/;
// No control character, space (any \s) nor colon.
const PASSWORD_OK = /^[^\s\u0000-\u0020\u007f:]*$/;

/** Why this account cannot be written safely, naming the field; null when it can. */
export function accountLineProblem(a: DesiredAccount): string | null {
  if (
    NAME.test(a.username) && isId(a.uid) && isId(a.gid) && FREE_TEXT_OK.test(a.gecos) && PATH_OK.test(a.home) && PATH_OK.test(a.shell) &&
    PASSWORD_OK.test(a.passwordField) && isDay(a.lastChangeDay) && (a.expiryDay === null || isDay(a.expiryDay)) && a.groups.every(isUnixName)
  ) {
    return null;
  }
  const where = `user ${JSON.stringify(a.username)}`;
  if (!NAME.test(a.username)) return `${where}: username is not a valid Unix name`;
  if (!isId(a.uid)) return `${where}: uid ${a.uid} is not an integer from 0 to ${MAX_ID}`;
  if (!isId(a.gid)) return `${where}: gid ${a.gid} is not an integer from 0 to ${MAX_ID}`;
  const gecos = gecosProblem(a.gecos);
  if (gecos !== null) return `${where}: gecos ${gecos}`;
  for (const [field, value] of [['home', a.home], ['shell', a.shell]] as const) {
    if (!value.startsWith('/') || UNSAFE.test(value)) return `${where}: ${field} ${JSON.stringify(value)} must be an absolute path without ':' or control characters`;
  }
  if (UNSAFE.test(a.passwordField) || SPACE.test(a.passwordField)) return `${where}: the password field must not contain ':', spaces or control characters`;
  if (!isDay(a.lastChangeDay)) return `${where}: lastChangeDay ${a.lastChangeDay} is not a day number`;
  if (a.expiryDay !== null && !isDay(a.expiryDay)) return `${where}: expiryDay ${a.expiryDay} is not a day number`;
  for (const g of a.groups) if (!NAME.test(g)) return `${where}: group ${JSON.stringify(g)} is not a valid Unix name`;
  return null;
}

export function isUnixName(name: string): boolean {
  return NAME.test(name);
}

function isId(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= MAX_ID;
}

function isDay(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 2_932_896; // 9999-12-31
}
