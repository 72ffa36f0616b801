/** What a suspended vhost answers when roster.yaml sets no page. */
export const DEFAULT_SUSPENDED_PAGE =
  '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Site suspended</title></head>\n<body><h1>This site is suspended</h1>\n<p>This site is temporarily unavailable. If it is yours, please contact the administrators of your hosting.</p></body></html>\n';

/**
 * Apache refuses ErrorDocument text longer than about 8 KiB ("String too
 * long"); both servers get the same page, so it is held to that.
 */
export const MAX_PAGE_LENGTH = 8000;

/**
 * The page as it goes into a quoted string of either server's config and
 * comes back in the 503 body: every character that a config string would
 * interpret (nginx `$variables`, Apache `%{expressions}`, `\` escapes, the
 * quote itself), every control character and every non-ASCII one becomes an
 * HTML numeric character reference, which a browser shows as the character.
 * So the file holds one line of plain ASCII and the body needs no charset.
 * Apache reads a text without a space that starts with `/` or looks like a
 * URL (or is `default`) as a place to redirect to; such a page gets its first
 * character encoded too (never a `<`, so no tag is broken).
 */
export function encodedPage(page: string): string {
  let out = '';
  for (const ch of page) {
    const code = ch.codePointAt(0) ?? 0;
    out += code < 0x20 || code > 0x7e || ch === '"' || ch === '$' || ch === '%' || ch === '\\' ? `&#${code};` : ch;
  }
  // Apache's own test (ap_is_url, and the keyword `default`), applied to a text without a space.
  if (!out.includes(' ') && (out.startsWith('/') || /^[A-Za-z0-9+.-]+:/.test(out) || out.toLowerCase() === 'default')) out = `&#${out.charCodeAt(0)};${out.slice(1)}`;
  return out;
}
