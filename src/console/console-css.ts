/**
 * The console's stylesheet, served as /console/assets/console.css after the
 * portal's (the same base: colours that pass WCAG AA, focus rings, forms).
 * The console's pages are wider and carry tables, plans and a section nav.
 * Pages add their rules in their own blocks below.
 */
export const CONSOLE_CSS = `
main { max-width: 72rem; }
nav.sections { border-bottom: 1px solid var(--line); background: #fafbfc; padding: 0 1.25rem; }
nav.sections ul { display: flex; flex-wrap: wrap; gap: 0 1.25rem; list-style: none; margin: 0 auto; padding: 0.5rem 0; max-width: 72rem; }
nav.sections a[aria-current=page] { font-weight: 700; color: var(--fg); text-decoration: none; border-bottom: 3px solid var(--accent); }
.role { color: var(--muted); }
code.secret, .recovery-codes { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 1.05rem; }
.recovery-codes { columns: 2; max-width: 24rem; padding-left: 1.5rem; }
img.qr { width: 12rem; height: 12rem; image-rendering: pixelated; border: 1px solid var(--line); }
.actions { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center; margin: 1rem 0; }
ul.plan { padding-left: 1.25rem; }
ul.plan li { margin: 0.15rem 0; }
.destructive { color: var(--err-fg); font-weight: 600; }
/* Audit, tokens and sync pages: wide tables scroll in their own region, filters side by side, values to copy in full. */
.table-scroll { overflow-x: auto; margin: 0.5rem 0; position: relative; }
caption { text-align: left; font-weight: 600; padding: 0.25rem 0; }
form.filters fieldset { max-width: none; display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; align-items: flex-start; }
form.filters .filter-field { flex: 1 1 9rem; }
form.filters label { display: block; font-weight: 600; margin: 0.25rem 0; }
form.filters input { width: 100%; padding: 0.4rem; font: inherit; border: 1px solid #767676; border-radius: 4px; }
form.filters .hint { color: var(--muted); font-size: 0.85rem; margin: 0.2rem 0; }
form.filters .field-error { color: var(--err-fg); font-weight: 600; margin: 0.2rem 0; }
form.filters .filter-actions { flex-basis: 100%; display: flex; gap: 1rem; align-items: center; }
table.audit td:nth-child(2), td.when { white-space: nowrap; }
.audit-change { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.85rem; overflow-wrap: anywhere; }
nav.pager { display: flex; gap: 1.5rem; margin: 0.75rem 0; }
input.copy { width: 100%; max-width: 48rem; padding: 0.5rem; font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 1rem; border: 1px solid #767676; border-radius: 4px; background: #f7f7f7; color: var(--fg); }
div.stacked label { display: block; font-weight: 600; margin: 0.75rem 0 0.25rem; }
div.stacked .hint { color: var(--muted); margin: 0.25rem 0; }
button.danger { background: var(--err-fg); border-color: var(--err-fg); }
table.counts { width: auto; min-width: 20rem; }
table.counts th { font-weight: 400; }
/* Bulk actions and approvals: outcome counts side by side, failed items marked, the accounts of a request in columns. */
dl.counts { display: flex; flex-wrap: wrap; gap: 0.25rem 1.5rem; margin: 0.5rem 0; }
dl.counts dt { font-weight: 600; }
dl.counts dt::after { content: ":"; }
dl.counts dd { margin: 0 0 0 0.25rem; }
.outcome.error { color: var(--err-fg); font-weight: 600; }
ul.names { columns: 12rem; padding-left: 1.25rem; }
form.stacked textarea { width: 100%; padding: 0.4rem; font: inherit; border: 1px solid #767676; border-radius: 4px; }
/* People, hosts and jobs pages. */
ul.plain { list-style: none; padding: 0; margin: 0; }
table.counts { width: auto; min-width: 16rem; }
th .muted { font-weight: 400; }
td form { margin: 0; }
td form button { white-space: nowrap; }
code.revision { font-size: 0.95rem; }
/* Search page: the free-text field across the form, the selects beside each other, results with a selection column. */
form.search .filter-field.wide { flex-basis: 100%; }
form.filters select { width: 100%; padding: 0.4rem; font: inherit; border: 1px solid #767676; border-radius: 4px; background: #fff; color: var(--fg); }
table.search-results input[type=checkbox] { width: 1.15rem; height: 1.15rem; }
button.secondary { background: #fff; color: var(--accent); border: 2px solid var(--accent); }
`;
