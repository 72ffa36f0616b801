/**
 * The `require` of modules that are not part of Node (the native addons,
 * dist/vendor) for code in the startup snapshot (src/cli/snapshot-entry.ts).
 * While the snapshot is built only Node's own modules can be loaded, and an
 * addon could not be kept in it anyway; the snapshot's main function sets the
 * real `require` (one relative to the bundle) before any command runs.
 */

import { beforeRuntimeLoad } from './deferred-ca-certs.js';

let current: NodeJS.Require | undefined;

/** Set by the snapshot's main function, before a command runs: the `require` of the bundle's directory. */
export function useRuntimeRequire(require: NodeJS.Require): void {
  current = require;
}

/** Loads a module from the bundle's directory; fails while the snapshot is being built (nothing may load such a module then). */
export function runtimeRequire(id: string): unknown {
  if (current === undefined) throw new Error(`${id} cannot be loaded while the startup snapshot is built: load it on first use`);
  beforeRuntimeLoad(id);
  return current(id);
}

/**
 * A stand-in for a module the snapshot cannot hold, imported at a module's
 * top: a native addon (better-sqlite3, koffi) or one of Node's modules the
 * snapshot builder cannot load (node:http, node:tls, node:child_process…).
 * The module is loaded when first used (a property read, a call or `new`),
 * after the snapshot's main function has set the real `require`. `names`
 * are its exports, known when the bundle is built, so that an
 * `import * as tls` copies them (as getters) without loading the module.
 */
export function lazyModule(id: string, names: readonly string[] = []): unknown {
  let loaded: object | undefined;
  const real = (): object => (loaded ??= runtimeRequire(id) as object);
  // A bound function: callable and constructible, with no `prototype` of its own. It never runs: the traps call the module.
  const target = function unloaded(): void {
    throw new Error(`${id} was called before it was loaded`);
  }.bind(null);
  const own = new Set(names);
  return new Proxy(target, {
    get: (_, key) => Reflect.get(real(), key) as unknown,
    has: (_, key) => Reflect.has(real(), key),
    apply: (_, self, args) => Reflect.apply<unknown, unknown[], unknown>(real() as (...a: unknown[]) => unknown, self, args),
    construct: (_, args) => Reflect.construct<unknown[], object>(real() as new (...a: unknown[]) => object, args),
    ownKeys: () => [...new Set([...Reflect.ownKeys(target), ...names])],
    getOwnPropertyDescriptor: (_, key) =>
      typeof key === 'string' && own.has(key) ? { value: undefined, writable: true, enumerable: true, configurable: true } : Reflect.getOwnPropertyDescriptor(target, key),
  });
}
