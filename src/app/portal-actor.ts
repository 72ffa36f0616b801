/** The audit actor of what a member does in the portal (issue 14): `portal:<personId>`. */
export function portalActor(personId: string): string {
  return `portal:${personId}`;
}
