import { disablesService } from '../domain/account.js';
import type { DesiredAccount } from '../desired/desired-host.js';

/**
 * Whether `service` must be off for this account now: it has a hold, and the
 * hold reaches that service (a freeze spares `freeze.keep`, `retired` spares
 * nothing; DESIGN.md §3 Lifecycle).
 */
export function disabledFor(account: Pick<DesiredAccount, 'disabled' | 'holds'>, service: string, freezeKeep: readonly string[]): boolean {
  return account.disabled && disablesService(account.holds, service, freezeKeep);
}
