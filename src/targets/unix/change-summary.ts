import type { DesiredAccount, DesiredGroup } from '../../desired/desired-host.js';
import type { AccountLines } from './account-lines.js';
import { joined, toEtcBytes } from './etc-text.js';
import type { GroupLines } from './group-lines.js';
import { readable } from './unix-files.js';

/** What a change does, in a word (`Change.action`) and one line for people; hashes never appear. */
export interface ChangeWording {
  readonly action: string;
  readonly summary: string;
}

export function dayDate(day: number): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** Describes turning the current lines of a managed account into `wanted` (both as file bytes). */
export function userUpdateWording(a: DesiredAccount, current: { readonly passwd?: string | undefined; readonly shadow?: string | undefined }, wanted: AccountLines): ChangeWording {
  const name = a.username;
  const phrases: string[] = [];
  const kinds = new Set<string>();
  const say = (kind: string, phrase: string): void => {
    kinds.add(kind);
    phrases.push(phrase);
  };
  if (current.passwd === undefined) say('other', 'add passwd entry');
  else if (current.passwd !== wanted.passwd) {
    const cur = current.passwd.split(':');
    const want = wanted.passwd.split(':');
    const labels = ['name', 'password placeholder', 'uid', 'gid', 'gecos', 'home', 'shell'];
    if (cur.length !== want.length) say('other', 'rewrite malformed passwd entry');
    else {
      for (let i = 1; i < want.length; i++) {
        if (cur[i] === want[i]) continue;
        const label = labels[i] ?? `field ${i + 1}`;
        say('other', i === 4 ? `gecos "${readable(cur[i] ?? '')}" → "${readable(want[i] ?? '')}"` : `${label} ${readable(cur[i] ?? '')} → ${readable(want[i] ?? '')}`);
      }
    }
  }
  if (current.shadow === undefined) say('other', 'add shadow entry');
  else if (current.shadow !== wanted.shadow) {
    const cur = current.shadow.split(':');
    const want = wanted.shadow.split(':');
    if (cur.length !== 9) say('other', 'rewrite malformed shadow entry');
    else {
      const curPassword = cur[1] ?? '';
      const wasLocked = curPassword.startsWith('!') && cur[7] === '1';
      if (!wasLocked && a.disabled) say('lock', 'lock');
      if (wasLocked && !a.disabled) say('unlock', 'unlock');
      const curBase = wasLocked ? curPassword.slice(1) : curPassword;
      if (curBase !== toEtcBytes(a.passwordField)) say('other', 'set password field');
      if (!a.disabled) {
        const curExpire = wasLocked ? '' : (cur[7] ?? '');
        const wantExpire = want[7] ?? '';
        if (curExpire !== wantExpire) say('expiry', wantExpire === '' ? 'clear expiry' : `set expiry to ${dayDate(Number(wantExpire))}`);
      }
      if (cur[2] !== want[2]) say('other', `last password change ${cur[2] === '' ? 'unset' : dayDate(Number(cur[2]))} → ${dayDate(a.lastChangeDay)}`);
      if ([3, 4, 5, 6, 8].some((i) => cur[i] !== want[i])) say('other', 'clear password aging fields');
    }
  }
  if (phrases.length === 1 && kinds.has('lock')) return { action: 'lock', summary: `lock user ${name}` };
  if (phrases.length === 1 && kinds.has('unlock')) return { action: 'unlock', summary: `unlock user ${name}` };
  if (phrases.length === 1 && kinds.has('expiry')) {
    const phrase = phrases[0] ?? '';
    return { action: 'expire', summary: phrase === 'clear expiry' ? `clear expiry of ${name}` : `set expiry of ${name} to ${phrase.slice('set expiry to '.length)}` };
  }
  return { action: 'update', summary: `update user ${name}: ${phrases.length === 0 ? 'rewrite entries' : phrases.join(', ')}` };
}

/** `lineCount`: how many lines the group is written as (more than one once split). */
export function groupCreateWording(g: DesiredGroup, lineCount: number): ChangeWording {
  // A user-private group: one of as many as there are accounts.
  if (g.members.length === 0 && lineCount === 1) return { action: 'create', summary: joined(['create group ', g.name, ' (gid ', g.gid, ')']) };
  const parts = [`gid ${g.gid}`];
  if (g.members.length > 0) parts.push(`${g.members.length.toLocaleString('en')} member${g.members.length === 1 ? '' : 's'}`);
  if (lineCount > 1) parts.push(`split into ${lineCount} lines`);
  return { action: 'create', summary: `create group ${g.name} (${parts.join(', ')})` };
}

/** `current`: the group-file lines now holding the group and its continuation groups. */
export function groupUpdateWording(g: DesiredGroup, current: ReadonlyArray<string | undefined>, lines: GroupLines): ChangeWording {
  const have = new Set<string>();
  let gid: string | undefined;
  for (const line of current) {
    if (line === undefined) continue;
    const f = line.split(':');
    gid ??= f[2];
    for (const m of (f[3] ?? '').split(',')) if (m !== '') have.add(m);
  }
  const want = new Set(g.members);
  const added = g.members.filter((m) => !have.has(m));
  const removed = [...have].filter((m) => !want.has(m)).sort();
  const phrases: string[] = [];
  if (gid !== undefined && gid !== String(g.gid)) phrases.push(`gid ${gid} → ${g.gid}`);
  if (added.length > 0) phrases.push(`add ${names(added)}`);
  if (removed.length > 0) phrases.push(`remove ${names(removed)}`);
  const lineCount = current.filter((l) => l !== undefined).length;
  if (lineCount !== lines.names.length) phrases.push(lines.names.length === 1 ? 'join into one line' : `split into ${lines.names.length} lines`);
  return { action: 'update', summary: `update group ${g.name}: ${phrases.length === 0 ? 'rewrite entries' : phrases.join(', ')}` };
}

function names(list: readonly string[]): string {
  const shown = list.slice(0, 5).join(', ');
  return list.length > 5 ? `${shown} and ${(list.length - 5).toLocaleString('en')} more` : shown;
}
