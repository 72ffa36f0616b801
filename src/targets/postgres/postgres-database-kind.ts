import * as z from 'zod';
import type { ResourceKind } from '../target.js';

/** Names PostgreSQL itself relies on: never a member's database. */
const RESERVED = new Set(['postgres', 'template0', 'template1']);

/**
 * A database name Roster creates: a lower-case PostgreSQL identifier that
 * needs no quoting to be typed in psql, at most 63 bytes (NAMEDATALEN - 1;
 * a longer one would be silently truncated by the server).
 */
const databaseName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]*$/, { error: 'must be a lower-case PostgreSQL identifier: a letter or _, then letters, digits or _' })
  .max(63, { error: 'must be at most 63 characters (PostgreSQL truncates longer names)' })
  .refine((n) => !RESERVED.has(n) && !n.startsWith('pg_'), { error: 'must not be postgres, template0, template1 or start with pg_' });

/** Values that go into CREATE DATABASE as literals; a plain word keeps them readable in plans. */
const word = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.@-]{0,62}$/, { error: 'must be a plain word such as UTF8 or C.UTF-8' });

/** `roster resource add alice --kind postgres-database --name alice_blog --host db [--set encoding=UTF8 --set locale=C.UTF-8]`. */
export const postgresDatabaseKind: ResourceKind = {
  description: 'a PostgreSQL database owned by the account\'s role',
  name: databaseName,
  settings: z
    .strictObject({
      encoding: word.optional().describe('the character set (CREATE DATABASE ENCODING), e.g. UTF8; default the server\'s template1'),
      locale: word.optional().describe('the collation and character classification (CREATE DATABASE LOCALE), e.g. C.UTF-8; default the server\'s template1'),
    })
    .describe('set when the database is created (or restored); changing them later does not change an existing database'),
};

export interface PostgresDatabaseSettings {
  readonly encoding?: string;
  readonly locale?: string;
}

/** The settings of a desired database, as the kind's schema accepted them (a hand-built state may omit them). */
export function databaseSettings(settings: Readonly<Record<string, unknown>>): PostgresDatabaseSettings {
  const encoding = typeof settings.encoding === 'string' ? settings.encoding : undefined;
  const locale = typeof settings.locale === 'string' ? settings.locale : undefined;
  return { ...(encoding === undefined ? {} : { encoding }), ...(locale === undefined ? {} : { locale }) };
}
