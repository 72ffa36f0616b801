import SCIMMY from 'scimmy';
import type { Logger } from '../../app/app-context.js';
import { errorMessage, RosterError, type ScimType } from '../../domain/errors.js';
import { SCIM_CONTENT_TYPE } from './scim-setup.js';

/** RFC 7644 §3.12: errors on SCIM endpoints take the SCIM Error shape, never problem+json (DESIGN.md §9.6). */
export function scimErrorResponse(status: number, detail: string, scimType?: string, headers: Readonly<Record<string, string>> = {}): Response {
  const body = { schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(status), ...(scimType === undefined ? {} : { scimType }), detail };
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': SCIM_CONTENT_TYPE, ...headers } });
}

/** RFC 7644 scimType for a Roster refusal, where one fits: the error's own, else the one its code implies. */
function scimTypeOf(e: RosterError): ScimType | undefined {
  if (e.scimType !== undefined) return e.scimType;
  if (e.code === 'bad_input' || e.code === 'weak_password' || e.code === 'not_eligible') return 'invalidValue';
  if (e.code === 'usage') return 'invalidSyntax';
  return undefined;
}

/**
 * The texts JavaScript itself gives a fault (V8's TypeError, ReferenceError
 * and RangeError messages): a bug, not a bad request. scimmy reports schema
 * violations as TypeErrors and wraps some faults of its own in its Error
 * type, so a message is what tells the two apart.
 */
const ENGINE_FAULT =
  /Cannot (read|set) propert|Cannot (convert|destructure|access|create property|assign to|add property|redefine|define property|delete property|mix BigInt)|is not (a function|iterable|a constructor|defined|extensible)|Reduce of empty array|Maximum call stack|Invalid (array|string) length|circular structure|called on incompatible receiver|cannot be invoked without 'new'|Assignment to constant/;

function isEngineFault(message: string): boolean {
  return ENGINE_FAULT.test(message);
}

/**
 * Any failure as a SCIM Error: scimmy's own (status and scimType as it
 * says), Roster's by catalogue, the rest a 500 whose detail names the
 * request (X-Request-Id) and whose exception is logged under that id, never
 * shown: an exception text says how Roster is built, not what the client
 * did wrong.
 */
export function scimErrorFrom(e: unknown, log: Logger, requestId: string, headers: Readonly<Record<string, string>> = {}): Response {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- scimmy types scimType as a string but throws most of its errors with null there
  if (e instanceof SCIMMY.Types.Error && e.status !== 500 && !isEngineFault(e.message)) return scimErrorResponse(e.status, e.message, e.scimType ?? undefined, headers);
  // A Roster error of the 500 kind (a broken audit chain, a bad configuration, an internal fault) is no more the client's business than an exception.
  if (e instanceof RosterError && e.status !== 500) {
    // SCIM has no 422: invalid values are 400 there.
    const status = e.status === 422 ? 400 : e.status;
    const detail = e.issues.length === 0 ? e.message : `${e.message} (${e.issues.map((i) => `${i.where}: ${i.message}`).join('; ')})`;
    return scimErrorResponse(status, detail, scimTypeOf(e), headers);
  }
  log.warn(`request ${requestId}: SCIM: ${errorMessage(e, { stack: true })}`);
  return scimErrorResponse(500, `an unexpected error occurred; it has been logged as request ${requestId}`, undefined, headers);
}

/**
 * Runs a scimmy schema or message operation: the TypeErrors it reports
 * schema violations with (a missing userName, a wrong type) become 400
 * invalidValue; a fault of the code itself stays a fault (a 500).
 */
export function scimmy<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw asScimError(e);
  }
}

/** scimmy() for scimmy's asynchronous operations (PatchOp.apply). */
export async function scimmyAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw asScimError(e);
  }
}

function asScimError(e: unknown): unknown {
  return e instanceof TypeError && !isEngineFault(e.message) ? new SCIMMY.Types.Error(400, 'invalidValue', e.message) : e;
}
