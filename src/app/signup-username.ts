/**
 * Portal sign-up, RATS step 6: "If the user identified at step 1 does not
 * already have a username allocated, 8 choices are generated out their first
 * and last names. [...] The chosen username is checked against the PDB and
 * for IID-like properties (1-4 alpha followed by numbers). If the username is
 * not acceptable the question will be posed again."
 */
import { validateUsername } from '../domain/usernames.js';
import type { Person } from '../domain/person.js';
import { reservedNameToReuse, suggestUsernames } from './accounts.js';
import type { AppContext } from './app-context.js';

export interface SignupUsernames {
  /**
   * The name this person already has (a purged account's, kept reserved for
   * them, RATS internals 1): it is the only choice, as `roster account
   * create` would give it too.
   */
  readonly reserved: string | undefined;
  /** The free suggestions, best first (8 by default); empty when `reserved` is set. */
  readonly suggestions: readonly string[];
}

/** The person's reserved name if one is free to come back, else the suggestions. */
export async function signupUsernames(ctx: AppContext, person: Person, typeName: string): Promise<SignupUsernames> {
  const reserved = await reservedName(ctx, person.id);
  if (reserved !== undefined) return { reserved, suggestions: [] };
  return { reserved: undefined, suggestions: await suggestUsernames(ctx, person.id, typeName) };
}

async function reservedName(ctx: AppContext, personId: string): Promise<string | undefined> {
  const own = await ctx.store.read.reservationsOfPerson(personId);
  if (own.length === 0) return undefined;
  const holders = new Map((await ctx.store.read.accountsByUsernames(own.map((r) => r.username))).map((a) => [a.username, a]));
  return reservedNameToReuse(own, (name) => holders.get(name));
}

export type UsernameVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/**
 * Whether `person` may take `name`: the site's rule and reserved shapes
 * (validateUsername, in words), then taken or reserved by someone else. A
 * person with a reserved name may take only that one. The same checks as
 * createAccount makes, so a name this accepts is refused there only if
 * someone took it in between.
 */
export async function checkSignupUsername(ctx: AppContext, person: Person, name: string): Promise<UsernameVerdict> {
  const problem = validateUsername(name, ctx.config.usernames);
  if (problem !== null) return { ok: false, reason: problem };
  const reserved = await reservedName(ctx, person.id);
  if (reserved !== undefined) return reserved === name ? { ok: true } : { ok: false, reason: `you already have the username ${reserved}: it is yours to use again` };
  if (await ctx.store.read.nameTaken(name)) return { ok: false, reason: 'is already taken' };
  return { ok: true };
}
