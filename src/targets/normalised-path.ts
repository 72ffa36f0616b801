import { posix } from 'node:path';
import * as z from 'zod';

const CONTROL = /[\u0000-\u001f\u007f]/;

/**
 * A path on the host in a target's settings (a home base, an archive or
 * vhost directory, a password file): absolute, on one line, and already
 * normalised, so that the path Roster compares, prints and writes under the
 * root prefix is the one the administrator wrote. The error shows the
 * normalised form to write instead.
 */
export const normalisedPath = z.string().superRefine((p, ctx) => {
  let message: string | null = null;
  if (!posix.isAbsolute(p)) message = `must be an absolute path, got "${p}"`;
  else if (CONTROL.test(p)) message = 'must not contain control characters or newlines';
  else if (posix.normalize(p) !== p || (p.length > 1 && p.endsWith('/'))) message = `must be a normalised path (no //, . or .., no trailing /), e.g. ${posix.normalize(p).replace(/(.)\/$/, '$1')}`;
  if (message !== null) ctx.addIssue({ code: 'custom', message });
});
