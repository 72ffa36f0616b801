import type { TokenRole } from '../store/queries/token-queries.js';

/**
 * Who may call what (DESIGN.md §5 "Auth", §7): each endpoint names the
 * roles it admits; the server checks the token's role before doing
 * anything, and agent tokens also at object level (their own host only).
 *
 * - admin: everything, including tokens and mass-change approvals
 * - operator: reads, and the day-to-day changes (people, accounts, ledger, runs)
 * - auditor: reads only
 * - scim: the SCIM endpoints only
 * - agent: its own host's desired state and reports only
 */
export const READERS: readonly TokenRole[] = ['admin', 'operator', 'auditor'];
export const WRITERS: readonly TokenRole[] = ['admin', 'operator'];
export const ADMINS: readonly TokenRole[] = ['admin'];
export const SCIM_CLIENTS: readonly TokenRole[] = ['admin', 'scim'];
/** Host endpoints agents use: readers and the host's own agent. */
export const HOST_READERS: readonly TokenRole[] = [...READERS, 'agent'];
/** Reports come from the host's agent (or an admin acting for it). */
export const HOST_REPORTERS: readonly TokenRole[] = ['admin', 'agent'];
