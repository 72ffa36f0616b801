import { execFileSync, spawnSync } from 'node:child_process';

/** What groff and man(1) make of a page: the text at 80 columns, and every warning either printed. */
export interface RenderedPage {
  readonly text: string;
  readonly warnings: string;
}

/**
 * Formats a page as a reader sees it (man -l at 80 columns, no terminal:
 * plain text) and checks it with every groff warning on (-ww). Tests use it
 * to hold the generated pages to what groff accepts.
 */
export function renderMan(roff: string): RenderedPage {
  const strict = spawnSync('groff', ['-ww', '-man', '-z'], { input: roff, encoding: 'utf8' });
  if (strict.error !== undefined) throw strict.error;
  const man = spawnSync('man', ['--warnings', '-l', '-'], { input: roff, encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', MAN_KEEP_FORMATTING: '', MANPAGER: 'cat', PAGER: 'cat', LANG: 'C.UTF-8' } });
  if (man.error !== undefined) throw man.error;
  // A bare Error on purpose: a page man(1) cannot format is a bug of the page generator, and only tests render pages.
  if (man.status !== 0) throw new Error(`man -l exited ${man.status}: ${man.stderr}`);
  return { text: man.stdout, warnings: `${strict.stderr}${man.stderr}`.trim() };
}

/** The rendered text with runs of white space as one space and words hyphenated at a line end rejoined. */
export function flatText(text: string): string {
  return text.replace(/[\u2010-]\n\s*/g, (m) => (m.startsWith('-') ? '-' : '')).replace(/\s+/g, ' ');
}

export function hasMan(): boolean {
  try {
    execFileSync('man', ['--version'], { stdio: 'ignore' });
    execFileSync('groff', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
