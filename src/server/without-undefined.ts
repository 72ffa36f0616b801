/** `T` with its optional-and-undefined keys made optional-without-undefined (exactOptionalPropertyTypes). */
export type WithoutUndefined<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & { [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined> };

/**
 * Drops the keys whose value is undefined: zod's optional fields parse to
 * `T | undefined`, which the use cases' strict input types do not accept.
 */
export function withoutUndefined<T extends object>(value: T): WithoutUndefined<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as WithoutUndefined<T>;
}
