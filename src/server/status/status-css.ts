import { PORTAL_CSS } from '../../portal/portal-css.js';

/**
 * The status page's stylesheet: the portal's (the same look and contrast),
 * and the states' colours. A state is always said in words too; colour
 * only repeats it (WCAG 1.4.1). Every text colour here passes WCAG AA on
 * its background.
 */
export const STATUS_CSS = `${PORTAL_CSS}
main { max-width: 56rem; }
header.site nav a { margin-left: 1rem; }
.overall { font-size: 1.2rem; font-weight: 700; padding: 0.75rem 1rem; border-radius: 6px; margin: 1rem 0 1.5rem; border-left: 8px solid; }
.s-operational { --state: #1e7b34; }
.s-maintenance { --state: #1f5fa8; }
.s-degraded { --state: #a35a00; }
.s-partial_outage { --state: #c2410c; }
.s-major_outage { --state: #b91c1c; }
.overall.s-operational { background: #e8f5e9; color: #14532d; }
.overall.s-maintenance { background: #e8f0fb; color: #173f70; }
.overall.s-degraded, .overall.s-partial_outage { background: #fff4e0; color: #6b3d00; }
.overall.s-major_outage { background: #fdecec; color: #8a1010; }
.overall { border-left-color: var(--state); }
ul.components, ul.services { list-style: none; margin: 0; padding: 0; }
ul.components > li { border: 1px solid var(--line); border-radius: 6px; padding: 0.5rem 0.75rem; margin: 0.5rem 0; }
ul.services { margin: 0.25rem 0 0 1.25rem; }
ul.services > li { border-top: 1px solid var(--line); padding: 0.35rem 0 0.25rem; }
.component { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: baseline; gap: 0 1rem; }
.component .name { font-weight: 600; }
.state { font-weight: 600; }
.state::before { content: ""; display: inline-block; width: 0.7rem; height: 0.7rem; border-radius: 50%; background: var(--state); margin-right: 0.4rem; }
.state.s-operational { color: #14532d; }
.state.s-maintenance { color: #173f70; }
.state.s-degraded, .state.s-partial_outage { color: #6b3d00; }
.state.s-major_outage { color: #8a1010; }
.description { color: var(--muted); margin: 0.1rem 0; }
.days { display: flex; gap: 1px; height: 1.5rem; margin: 0.35rem 0 0.1rem; }
.days span { flex: 1; min-width: 2px; border-radius: 1px; background: var(--state); }
.days-summary { font-size: 0.9rem; color: var(--muted); margin: 0; }
article.event { border: 1px solid var(--line); border-left: 6px solid var(--state, var(--line)); border-radius: 6px; padding: 0.5rem 1rem; margin: 0.75rem 0; }
article.event h3 { margin-top: 0.5rem; }
ol.timeline { list-style: none; padding: 0; margin: 0.5rem 0; }
ol.timeline li { border-top: 1px solid var(--line); padding: 0.4rem 0; }
ol.timeline .when { color: var(--muted); font-size: 0.95rem; }
.message-text { white-space: pre-line; margin: 0.2rem 0; }
ul.changelog { list-style: none; padding: 0; }
ul.changelog li { border-top: 1px solid var(--line); padding: 0.4rem 0; }
ol.history { list-style: none; padding: 0; }
ol.history > li { border-top: 1px solid var(--line); padding: 0.4rem 0; }
footer.site { max-width: 56rem; margin: 0 auto; padding: 1rem 1.25rem 2rem; color: var(--muted); border-top: 1px solid var(--line); }
`;
