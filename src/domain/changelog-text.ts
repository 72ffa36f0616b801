/**
 * A changelog text as it is kept (seed GlobeNet's `/root/changelog`, where
 * it is shown indented under its date line): line ends made `\n`, trailing
 * blanks of each line dropped, the indent the lines share taken off, blank
 * lines around it dropped. The server and the host's file reader both use
 * it, so an entry read back from the file is the entry stored.
 */
export function normaliseChangelogText(text: string): string {
  const lines = text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((line) => line.replace(/[ \t]+$/, ''));
  const indents = lines.filter((l) => l !== '').map((l) => /^ */.exec(l)?.[0].length ?? 0);
  const shared = indents.length === 0 ? 0 : Math.min(...indents);
  return lines
    .map((l) => l.slice(shared))
    .join('\n')
    .replace(/^\n+|\n+$/g, '');
}

/** Sources whose entries say so after the author in `/root/changelog`; people's own (`cli`, `host-file`) do not. */
const SHOWN_SOURCES = new Set(['apply', 'api']);

/** The author as `/root/changelog` shows it: `roster (apply)`, `token:3(admin) (api)`, `alice`. */
export function changelogAuthorLabel(author: string, source: string): string {
  return SHOWN_SOURCES.has(source) ? `${author} (${source})` : author;
}
