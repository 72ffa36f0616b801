import { AsyncLocalStorage } from 'node:async_hooks';
import type { LogFields } from './app-context.js';

const scope = new AsyncLocalStorage<LogFields>();

/**
 * Runs `fn` with `fields` added to every line logged on its way, however
 * deep: the server binds each request's id here, so the use cases' log
 * lines carry it without the `log` handed to them knowing about requests.
 */
export function withLogFields<T>(fields: LogFields, fn: () => T): T {
  const outer = scope.getStore();
  return scope.run(outer === undefined ? fields : { ...outer, ...fields }, fn);
}

/** The fields bound by the innermost withLogFields around the caller (none outside one). */
export function currentLogFields(): LogFields | undefined {
  return scope.getStore();
}
