/**
 * Portal sign-up, RATS step 7 and on: the account is made exactly as
 * `roster account create` makes it (createAccount: eligibility, username,
 * UID, groups, one audit record), acting as `portal:<personId>`, with the
 * password checked against the type's policy including the person's names.
 * The answer says what happens next: the hosts it goes to and how each gets
 * it, and the e-mail address it got (RATS step 17).
 */
import type { Account } from '../domain/account.js';
import { RosterError } from '../domain/errors.js';
import type { Person } from '../domain/person.js';
import { checkedPassword, createAccount, requireType } from './accounts.js';
import type { AppContext } from './app-context.js';
import { requirePerson } from './people.js';
import { signupOffers, typeNeedsPassword } from './signup-offer.js';
import { checkSignupUsername } from './signup-username.js';
import { portalActor } from './portal-actor.js';

export interface SignupCreateInput {
  readonly type: string;
  readonly username: string;
  /** Required for crypt and Kerberos types, refused for the others. */
  readonly password?: string | undefined;
}

export interface SignupHost {
  readonly host: string;
  /** Whether the member may log into it (the type's hosts.login), or the account only lives there. */
  readonly login: boolean;
  /** Who brings the account there: the host's agent when it next asks, or roster serve's apply job. */
  readonly appliedBy: 'agent' | 'server';
}

export interface SignupCreated {
  readonly account: Account;
  readonly hosts: readonly SignupHost[];
  /** The address the account's type gives (username@emailDomain for its role), or the one the person already had for that role. */
  readonly email: string | undefined;
}

/**
 * Creates the account. Every refusal is a RosterError naming its field
 * (`type`, `username`, `password`) and changes nothing.
 */
export async function createSignupAccount(ctx: AppContext, person: Person, input: SignupCreateInput): Promise<SignupCreated> {
  const type = ctx.config.types[input.type];
  if (type?.portal !== true) throw new RosterError('bad_input', `no account type "${input.type}" is offered here`, [{ where: 'type', message: 'is not offered in the portal' }]);
  const offer = (await signupOffers(ctx, person)).find((o) => o.name === input.type);
  if (offer?.status.kind === 'held') throw new RosterError('conflict', `you already have a ${input.type} account: ${offer.status.username}`, [{ where: 'type', message: `already held as ${offer.status.username}` }]);
  if (offer?.status.kind === 'ineligible') throw new RosterError('not_eligible', `you cannot have a ${input.type} account: ${offer.status.unmet.join('; ')}`, offer.status.unmet.map((message) => ({ where: 'type', message })));

  const verdict = await checkSignupUsername(ctx, person, input.username);
  if (!verdict.ok) throw new RosterError('bad_input', `the username ${input.username} ${verdict.reason}`, [{ where: 'username', message: verdict.reason }]);

  if (typeNeedsPassword(type)) {
    if (input.password === undefined || input.password === '') throw new RosterError('bad_input', 'a password is required', [{ where: 'password', message: 'is required' }]);
    // The names too (createAccount knows only the username): RATS's "contains the name".
    checkedPassword(type, input.password, { username: input.username, firstName: person.firstName, lastName: person.lastName });
  } else if (input.password !== undefined) {
    throw new RosterError('bad_input', `${input.type} accounts have no password to set`, [{ where: 'password', message: 'is not used by this type' }]);
  }

  const acting: AppContext = { ...ctx, actor: portalActor(person.id) };
  const account = await createAccount(acting, { personId: person.id, type: input.type, username: input.username, password: input.password });
  const after = await requirePerson(ctx.store.read, person.id);
  const created = requireType(ctx.config, account.type);
  return {
    account,
    hosts: created.hosts.live.map((host) => ({ host, login: created.hosts.login.includes(host), appliedBy: ctx.config.hosts[host]?.appliedBy ?? 'agent' })),
    email: created.emailRole === undefined ? undefined : after.emails[created.emailRole],
  };
}
