import type * as z from 'zod';
import type { ConfigPath } from './yaml-position.js';

type Def = Readonly<Record<string, unknown>> & { readonly type: string };

function defOf(schema: unknown): Def | undefined {
  if (typeof schema !== 'object' || schema === null || !('_zod' in schema)) return undefined;
  const inner = (schema as { readonly _zod: { readonly def: Def } })._zod;
  return inner.def;
}

/** Object schemas reachable from `schema` without consuming a path step. */
function objectShapes(schema: unknown): Array<Readonly<Record<string, unknown>>> {
  const def = defOf(schema);
  if (def === undefined) return [];
  switch (def.type) {
    case 'object':
      return [def.shape as Readonly<Record<string, unknown>>];
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return objectShapes(def.innerType);
    case 'pipe':
      return objectShapes(def.in);
    case 'union':
      return (def.options as readonly unknown[]).flatMap(objectShapes);
    default:
      return [];
  }
}

function step(schema: unknown, key: PropertyKey): unknown[] {
  const def = defOf(schema);
  if (def === undefined) return [];
  switch (def.type) {
    case 'object': {
      const shape = def.shape as Readonly<Record<string, unknown>>;
      return typeof key === 'string' && Object.hasOwn(shape, key) ? [shape[key]] : [];
    }
    case 'record':
      return [def.valueType];
    case 'array':
      return [def.element];
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return step(def.innerType, key);
    case 'pipe':
      return step(def.in, key);
    case 'union':
      return (def.options as readonly unknown[]).flatMap((o) => step(o, key));
    default:
      return [];
  }
}

/**
 * The keys a strict object at `path` accepts, for "did you mean" hints.
 * Reads zod's schema definitions, which zod documents as its introspection
 * surface (`schema._zod.def`).
 */
export function knownKeys(schema: z.ZodType, path: ConfigPath): string[] {
  let at: unknown[] = [schema];
  for (const key of path) at = at.flatMap((s) => step(s, key));
  return [...new Set(at.flatMap(objectShapes).flatMap((shape) => Object.keys(shape)))];
}
