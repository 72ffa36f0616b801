/** What `deepFreeze` guarantees at run time, said in types (DESIGN.md §9.9). */
export type DeepReadonly<T> = T extends ReadonlyArray<infer U>
  ? ReadonlyArray<DeepReadonly<U>>
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/**
 * Freezes plain objects and arrays recursively. Other objects (a YAML
 * `!!binary` value becomes a Uint8Array, which cannot be frozen) are left
 * alone rather than failing the whole load.
 */
export function deepFreeze<T>(value: T): DeepReadonly<T> {
  freeze(value);
  return value as DeepReadonly<T>;
}

function freeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return;
  const proto: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return;
  for (const child of Object.values(value)) freeze(child);
  Object.freeze(value);
}
