/**
 * The portal's stylesheet, served as /portal/assets/portal.css (kept in code
 * so the bundled `roster` needs no files beside it). Plain, readable, high
 * contrast (every colour pair here passes WCAG AA), and usable at 320 px.
 */
export const PORTAL_CSS = `
:root { --fg: #1b1b1b; --bg: #ffffff; --muted: #4a4a4a; --accent: #0b5394; --line: #c9c9c9; --warn-bg: #fff4e0; --warn-fg: #6b3d00; --err-bg: #fdecec; --err-fg: #8a1010; --ok-bg: #e8f5e9; --ok-fg: #1e5b22; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; font-size: 100%; line-height: 1.5; color: var(--fg); background: var(--bg); }
body { margin: 0; }
a { color: var(--accent); }
a:focus, button:focus, input:focus, select:focus, summary:focus { outline: 3px solid #e59400; outline-offset: 2px; }
.skip { position: absolute; left: -10000px; top: 0; padding: 0.5rem 1rem; background: var(--fg); color: var(--bg); z-index: 10; }
.skip:focus { left: 0.5rem; top: 0.5rem; }
header.site { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 0.5rem 1rem; padding: 0.75rem 1.25rem; border-bottom: 1px solid var(--line); background: #f4f6f8; }
header.site .name { font-weight: 700; font-size: 1.2rem; color: var(--fg); text-decoration: none; }
header.site nav { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem; }
header.site form { display: inline; margin: 0; }
main { max-width: 48rem; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
main:focus { outline: none; }
h1 { font-size: 1.75rem; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 0.5rem; }
h3 { font-size: 1.1rem; margin: 1.25rem 0 0.25rem; }
section.account { border: 1px solid var(--line); border-radius: 6px; padding: 0.25rem 1rem 1rem; margin: 1rem 0; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.25rem 1rem; margin: 0.5rem 0; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
.hold { border-left: 4px solid #b45f06; background: var(--warn-bg); color: var(--warn-fg); padding: 0.5rem 0.75rem; margin: 0.5rem 0; }
.hold p { margin: 0.2rem 0; }
.hold .ends { font-weight: 700; }
.message { padding: 0.5rem 0.75rem; margin: 0.75rem 0; border-radius: 4px; }
.message.error { background: var(--err-bg); color: var(--err-fg); border: 1px solid #d99; }
.message.info { background: var(--ok-bg); color: var(--ok-fg); border: 1px solid #9c9; }
form.stacked label { display: block; font-weight: 600; margin: 0.75rem 0 0.25rem; }
form.stacked input[type=text], form.stacked input[type=password], form.stacked input[type=email], form.stacked input[type=number], form.stacked select { width: 100%; max-width: 24rem; padding: 0.5rem; font: inherit; border: 1px solid #767676; border-radius: 4px; }
form.stacked .hint { color: var(--muted); font-size: 0.95rem; margin: 0.25rem 0; }
form.stacked .field-error { color: var(--err-fg); font-weight: 600; margin: 0.25rem 0; }
button, .button { display: inline-block; font: inherit; padding: 0.5rem 1rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; text-decoration: none; }
button.link { background: none; border: none; color: var(--accent); text-decoration: underline; padding: 0; }
form.stacked button { margin-top: 1rem; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; }
th, td { text-align: left; padding: 0.35rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
ul.services { margin: 0.25rem 0 0.5rem; padding-left: 1.25rem; }
.muted { color: var(--muted); }
/* Sign-up (P2): choices, the date as three fields, text only screen readers read. */
fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 1rem 0; padding: 0.5rem 1rem 1rem; max-width: 32rem; }
legend { font-weight: 600; padding: 0 0.25rem; }
.choice { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0 0.5rem; margin: 0.35rem 0; }
.choice .hint { flex-basis: 100%; margin: 0 0 0 1.75rem; }
form.stacked .choice label { display: inline; margin: 0; font-weight: 400; }
.date-parts { display: flex; gap: 1rem; }
form.stacked .date-parts label { margin-top: 0.25rem; font-weight: 400; }
form.stacked input.daymonth { width: 3.5rem; }
form.stacked input.year { width: 5rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
