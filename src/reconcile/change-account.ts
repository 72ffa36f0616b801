import type { Change } from '../targets/target.js';

/**
 * The account a change is about: its `account` field, else the name in a
 * `user:<name>` subject (the convention of target.ts), else none. Used for
 * the circuit breaker's count and to stop an account's later changes once
 * one of them failed.
 */
export function changeAccount(change: Change): string | undefined {
  if (change.account !== undefined) return change.account;
  return change.subject.startsWith('user:') ? change.subject.slice('user:'.length) : undefined;
}
