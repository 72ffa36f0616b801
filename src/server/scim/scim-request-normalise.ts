import SCIMMY from 'scimmy';

/**
 * Request bodies as identity providers really send them, made into what
 * RFC 7643 says before scimmy checks them against the schema. Driven by the
 * schema, so every attribute of a kind is treated alike:
 * - booleans as strings (`"primary": "True"`, `"active": "False"`: Entra ID
 *   and the Microsoft test collection);
 * - a bare value where a complex one is due (a member as its id, Entra's
 *   `manager` as the manager's id);
 * - `displayName` where a multi-valued attribute's sub-attribute is
 *   `display` (members, as Okta and Entra name it);
 * - an extension object carrying its own `schemas` member (some clients
 *   copy the resource's), which is not an attribute of the extension.
 */

type Json = Record<string, unknown>;
type Definition = InstanceType<typeof SCIMMY.Types.SchemaDefinition>;
type Attribute = InstanceType<typeof SCIMMY.Types.Attribute>;

function asObject(v: unknown): Json | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
}

function booleanish(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim().toLowerCase();
  return t === 'true' ? true : t === 'false' ? false : v;
}

function find<T extends { readonly name: string }>(list: readonly T[], name: string): T | undefined {
  const lower = name.toLowerCase();
  return list.find((a) => a.name.toLowerCase() === lower);
}

function subAttributes(attribute: Attribute): readonly Attribute[] {
  return (attribute as { subAttributes?: readonly Attribute[] }).subAttributes ?? [];
}

function complexValue(value: unknown, attribute: Attribute): unknown {
  const subs = subAttributes(attribute);
  if ((typeof value === 'string' || typeof value === 'number') && find(subs, 'value') !== undefined) return { value: String(value) };
  const o = asObject(value);
  if (o === undefined) return value;
  const renameDisplay = find(subs, 'display') !== undefined && find(subs, 'displayName') === undefined;
  const out: Json = {};
  for (const [key, v] of Object.entries(o)) {
    const name = renameDisplay && key === 'displayName' && o.display === undefined ? 'display' : key;
    const sub = find(subs, name);
    out[name] = sub === undefined ? v : attributeValue(v, sub);
  }
  return out;
}

function attributeValue(value: unknown, attribute: Attribute): unknown {
  if (attribute.type === 'boolean') return attribute.config.multiValued === true && Array.isArray(value) ? value.map(booleanish) : booleanish(value);
  if (attribute.type !== 'complex') return value;
  if (Array.isArray(value)) return value.map((v) => complexValue(v, attribute));
  return complexValue(value, attribute);
}

function extensionValue(value: unknown, extension: Definition): unknown {
  const o = asObject(value);
  if (o === undefined) return value;
  const { schemas: _ignored, ...rest } = o;
  return attributesOf(rest, extension);
}

function attributesOf(body: Json, definition: Definition): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(body)) {
    const target = lookup(definition, key);
    out[key] = target === undefined ? value : target instanceof SCIMMY.Types.SchemaDefinition ? extensionValue(value, target) : attributeValue(value, target);
  }
  return out;
}

/** The attribute or extension a name (plain, dotted, or qualified by a schema URN) means, if the schema declares it. */
function lookup(definition: Definition, name: string): Attribute | Definition | undefined {
  try {
    return definition.attribute<Attribute | Definition>(name);
  } catch {
    // Not declared: scimmy decides what to make of it (most are ignored).
    return undefined;
  }
}

/** A resource body (POST, PUT) for the schema `definition` describes. */
export function normaliseResource(body: unknown, definition: Definition): unknown {
  const o = asObject(body);
  return o === undefined ? body : attributesOf(o, definition);
}

/**
 * The two operations scimmy trips over instead of refusing (a null
 * operation; a null value for the whole resource), refused as it refuses
 * their neighbours: 400, in its words.
 */
function checkOperation(op: unknown, n: number): void {
  if (op === null) throw new SCIMMY.Types.Error(400, 'invalidSyntax', `PatchOp request body expected value type 'complex' for operation ${n} but found type 'null'`);
  const x = asObject(op);
  const verb = typeof x?.op === 'string' ? x.op.trim().toLowerCase() : undefined;
  if (x !== undefined && (verb === 'add' || verb === 'replace') && (x.path === undefined || x.path === '') && x.value === null) {
    throw new SCIMMY.Types.Error(400, 'invalidValue', `Attribute 'value' must be an object when 'path' is empty for '${verb}' op of operation ${n} in PatchOp request body`);
  }
}

/**
 * A PatchOp body (RFC 7644 §3.5.2): each operation's value as the attribute
 * its path names expects. Throws a SCIM error (400) for an operation scimmy
 * cannot read.
 */
export function normalisePatch(body: unknown, definition: Definition): unknown {
  const o = asObject(body);
  if (o === undefined) return body;
  const opsKey = Object.keys(o).find((k) => k.toLowerCase() === 'operations');
  if (opsKey === undefined || !Array.isArray(o[opsKey])) return body;
  const ops = (o[opsKey] as unknown[]).map((op, i) => {
    checkOperation(op, i + 1);
    const x = asObject(op);
    if (x === undefined || x.value === undefined) return op;
    const path = typeof x.path === 'string' ? x.path.trim() : undefined;
    if (path === undefined || path === '') return { ...x, value: normaliseResource(x.value, definition) };
    // `emails[type eq "work"].value` names the attribute emails.value; the filter only picks values.
    const filtered = /\[[^\]]*\]/.test(path);
    const target = lookup(definition, path.replace(/\[[^\]]*\]/g, ''));
    if (target === undefined) return op;
    if (target instanceof SCIMMY.Types.SchemaDefinition) return { ...x, value: extensionValue(x.value, target) };
    let value = attributeValue(x.value, target);
    // One value added to a multi-valued attribute (a member) is a list of one.
    if (!filtered && target.config.multiValued === true && !Array.isArray(value)) value = [value];
    return { ...x, value };
  });
  return { ...o, [opsKey]: ops };
}
