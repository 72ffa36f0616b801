/**
 * Portal sign-up, RATS steps 1-5: the account types the portal offers
 * (`portal: true`, RATS's "web_display") and, for this person, whether each
 * may be had, why not in words (RATS steps 2-5), or that it is already held
 * (RATS step 7: "if the account already exists no password operations will
 * be performed"; the portal makes no second account of a type).
 */
import { checkEligibility } from '../domain/eligibility.js';
import type { Person } from '../domain/person.js';
import type { AccountType } from './accounts.js';
import type { AppContext } from './app-context.js';

export type SignupTypeStatus =
  | { readonly kind: 'eligible' }
  /** Each unmet requirement as a sentence ("needs role STUDENT"). */
  | { readonly kind: 'ineligible'; readonly unmet: readonly string[] }
  | { readonly kind: 'held'; readonly username: string };

export interface SignupTypeOffer {
  readonly name: string;
  readonly description: string | undefined;
  /** Whether the sign-up asks for a password (crypt and Kerberos types). */
  readonly needsPassword: boolean;
  readonly loginHosts: readonly string[];
  readonly status: SignupTypeStatus;
}

export function typeNeedsPassword(type: AccountType): boolean {
  return type.auth === 'crypt' || type.auth === 'kerberos';
}

/** The portal's types for `person`, in roster.yaml order. */
export async function signupOffers(ctx: AppContext, person: Person): Promise<SignupTypeOffer[]> {
  const live = (await ctx.store.read.accountsOfPeople([person.id])).filter((a) => a.purgedAt === null);
  const offers: SignupTypeOffer[] = [];
  for (const [name, type] of Object.entries(ctx.config.types)) {
    if (!type.portal) continue;
    const held = live.find((a) => a.type === name);
    let status: SignupTypeStatus;
    if (held !== undefined) status = { kind: 'held', username: held.username };
    else {
      const verdict = checkEligibility(person, type.eligibility);
      status = verdict.eligible ? { kind: 'eligible' } : { kind: 'ineligible', unmet: verdict.unmet };
    }
    offers.push({ name, description: type.description, needsPassword: typeNeedsPassword(type), loginHosts: type.hosts.login, status });
  }
  return offers;
}
