import * as z from 'zod';

/** What the first line of a file Roster wrote says about it: which resource it renders, and for whom. */
export interface VhostMarker {
  readonly id: number;
  readonly owner: string;
  readonly name: string;
}

/**
 * A marker as read: files of an earlier format also said whether they were
 * the suspended vhost (a 503 in place of the site, replaced by the
 * suspension flag since); such a file is rewritten once.
 */
export interface ReadMarker extends VhostMarker {
  readonly state?: 'active' | 'suspended';
}

const PREFIX = '# Managed by Roster, edits are overwritten: ';

const markerSchema = z.strictObject({
  kind: z.literal('vhost'),
  id: z.int().positive(),
  owner: z.string().min(1),
  name: z.string().min(1),
  state: z.enum(['active', 'suspended']).optional(),
});

/** The file of a vhost in the include dir: `.conf` because Debian's configurations include `*.conf`, and a prefix no administrator would pick by accident. */
export function vhostFileName(name: string): string {
  return `roster-vhost-${name}.conf`;
}

/** The header line marking a file as Roster's: a comment in both servers' syntax, with a JSON marker naming the owner and the resource. */
export function markerLine(m: VhostMarker): string {
  return `${PREFIX}${JSON.stringify({ kind: 'vhost', id: m.id, owner: m.owner, name: m.name })}`;
}

/**
 * The marker of a file Roster wrote, or null. A file counts as Roster's only
 * with the marker on its first line AND under the name the marker implies,
 * so a copy of a managed file under another name stays the administrator's.
 */
export function parseMarker(fileName: string, text: string): ReadMarker | null {
  const end = text.indexOf('\n');
  const first = end === -1 ? text : text.slice(0, end);
  if (!first.startsWith(PREFIX)) return null;
  let json: unknown;
  try {
    json = JSON.parse(first.slice(PREFIX.length));
  } catch {
    return null;
  }
  const parsed = markerSchema.safeParse(json);
  if (!parsed.success || vhostFileName(parsed.data.name) !== fileName) return null;
  const { id, owner, name, state } = parsed.data;
  return state === undefined ? { id, owner, name } : { id, owner, name, state };
}
