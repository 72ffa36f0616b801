import SCIMMY from 'scimmy';
import type { Logger } from '../../app/app-context.js';
import { RosterError } from '../../domain/errors.js';
import { SCIM_CONTENT_TYPE } from './scim-setup.js';

/** RFC 7644 §3.12: errors on SCIM endpoints take the SCIM Error shape, never problem+json (DESIGN.md §9.6). */
export function scimErrorResponse(status: number, detail: string, scimType?: string, headers: Readonly<Record<string, string>> = {}): Response {
  const body = { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(status), ...(scimType === undefined ? {} : { scimType }), detail };
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': SCIM_CONTENT_TYPE, ...headers } });
}

/** RFC 7644 scimType for a Roster refusal, where one fits. */
function scimTypeOf(e: RosterError): string | undefined {
  if (e.issues.some((i) => i.message === 'uniqueness')) return 'uniqueness';
  if (e.issues.some((i) => i.message === 'mutability')) return 'mutability';
  if (e.code === 'bad_input' || e.code === 'weak_password' || e.code === 'not_eligible') return 'invalidValue';
  if (e.code === 'usage') return 'invalidSyntax';
  return undefined;
}

/** Any failure as a SCIM Error: scimmy's own (status and scimType as it says), Roster's by catalogue, the rest 500. */
export function scimErrorFrom(e: unknown, log: Logger, headers: Readonly<Record<string, string>> = {}): Response {
  if (e instanceof SCIMMY.Types.Error) return scimErrorResponse(e.status, e.message, e.scimType ?? undefined, headers);
  if (e instanceof RosterError) {
    // SCIM has no 422: invalid values are 400 there.
    const status = e.status === 422 ? 400 : e.status;
    const detail = e.issues.length === 0 ? e.message : `${e.message} (${e.issues.map((i) => `${i.where}: ${i.message}`).join('; ')})`;
    return scimErrorResponse(status, detail, scimTypeOf(e), headers);
  }
  log.warn(`SCIM: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return scimErrorResponse(500, 'an unexpected error occurred; it has been logged');
}

/** Runs a scimmy schema or message operation: the TypeErrors it reports schema violations with (a missing userName, a wrong type) become 400 invalidValue. */
export function scimmy<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TypeError) throw new SCIMMY.Types.Error(400, 'invalidValue', e.message);
    throw e;
  }
}

/** scimmy() for scimmy's asynchronous operations (PatchOp.apply). */
export async function scimmyAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof TypeError) throw new SCIMMY.Types.Error(400, 'invalidValue', e.message);
    throw e;
  }
}
