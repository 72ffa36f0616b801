/**
 * GECOS and other free-text fields end up inside colon-separated /etc files
 * (DESIGN.md §7): control characters, `:` and newlines would break the line,
 * `,` and `=` would shift the GECOS sub-fields that chfn/finger parse.
 */
const CONTROL = /[\u0000-\u001f\u007f]/;

export function gecosProblem(value: string): string | null {
  if (CONTROL.test(value)) return 'must not contain control characters or newlines';
  if (/[:,=]/.test(value)) return "must not contain ':', ',' or '='";
  if (value.length > 255) return 'must be at most 255 characters';
  return null;
}

/** Free text such as names and class ids (which contain `:`): no control characters. */
export function textProblem(value: string, max = 128): string | null {
  if (value.trim() === '') return 'must not be empty';
  if (CONTROL.test(value)) return 'must not contain control characters or newlines';
  if (value.length > max) return `must be at most ${max} characters`;
  return null;
}
