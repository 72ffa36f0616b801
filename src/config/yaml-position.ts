import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';

export type ConfigPath = readonly PropertyKey[];

function keyName(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return undefined;
}

function resolved(doc: Document, node: unknown): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

function rangeStart(node: unknown): number | undefined {
  return typeof node === 'object' && node !== null && 'range' in node && Array.isArray(node.range) && typeof node.range[0] === 'number' ? node.range[0] : undefined;
}

/**
 * Offset of the deepest node along `path`. `at: 'key'` points at the key of
 * the last step (unknown keys, bad record keys). A step that does not exist
 * stops the walk, so a missing field is reported at its parent map.
 */
export function offsetOfPath(doc: Document, path: ConfigPath, at: 'value' | 'key' = 'value'): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const [i, step] of path.entries()) {
    node = resolved(doc, node);
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyName(p.key) === String(step));
      if (pair === undefined) return offset;
      if (last && at === 'key') return rangeStart(pair.key) ?? offset;
      // `key:` with nothing after it has no value node worth pointing at.
      node = pair.value ?? pair.key;
    } else if (isSeq(node) && typeof step === 'number') {
      const item: unknown = node.items[step];
      if (item === undefined) return offset;
      node = item;
    } else {
      return offset;
    }
    offset = rangeStart(node) ?? offset;
  }
  return offset;
}

/** The path of the innermost key or value containing `offset` (for YAML errors such as duplicate keys). */
export function pathAtOffset(doc: Document, offset: number): PropertyKey[] {
  const path: PropertyKey[] = [];
  let node: unknown = doc.contents;
  const within = (n: unknown): boolean => {
    const r = typeof n === 'object' && n !== null && 'range' in n ? (n as Node).range : undefined;
    return r !== undefined && r !== null && offset >= r[0] && offset < Math.max(r[1], r[0] + 1);
  };
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && (within(p.key) || within(p.value)));
      const name = pair === undefined ? undefined : keyName(pair.key);
      if (pair === undefined || name === undefined) return path;
      path.push(name);
      if (within(pair.key)) return path;
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => within(item));
      if (index < 0) return path;
      path.push(index);
      node = node.items[index];
    } else {
      return path;
    }
  }
}
