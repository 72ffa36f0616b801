/** A text field of a parsed form body (`c.req.parseBody()`), or '' when it is missing or a file. */
export function field(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  return typeof v === 'string' ? v : '';
}
