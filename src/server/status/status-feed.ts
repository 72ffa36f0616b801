import { statusStrings as s } from './status-strings.js';
import type { PublicStatus } from './status-view.js';

/** The most entries the feed carries (newest first). */
const FEED_ENTRIES = 100;

/** Characters XML 1.0 does not allow at all, left out. */
const NOT_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

function xml(text: string): string {
  return text.replace(NOT_XML, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface FeedEntry {
  readonly id: string;
  readonly title: string;
  readonly updated: string;
  readonly link: string;
  readonly category: string;
  readonly content: string;
}

/**
 * The status page as an Atom feed (RFC 4287): one entry per update of an
 * incident or a maintenance, and one per public changelog entry, newest
 * first. Ids are URLs under `base` that never change (an update's is its
 * event's page and its number), so a reader shows each entry once.
 */
export function statusFeed(view: PublicStatus, base: string): string {
  const entries: FeedEntry[] = [];
  for (const e of view.events.values()) {
    const kind = e.kind === 'incident' ? s.incident : s.maintenance;
    for (const u of e.updates) {
      const state = s.eventStateWords[u.state] ?? u.state;
      const lines = [u.message, '', ...(e.components.length === 0 ? [] : [`${s.affects}: ${e.components.join(', ')}`])];
      if (e.scheduledStart !== null && e.scheduledEnd !== null) lines.push(`${s.window}: ${e.scheduledStart} – ${e.scheduledEnd}`);
      entries.push({
        id: `${base}/status/events/${e.id}#update-${u.id}`,
        title: `${kind} — ${state}: ${e.title}`,
        updated: u.at,
        link: `${base}/status/events/${e.id}`,
        category: e.kind,
        content: lines.join('\n').trim(),
      });
    }
  }
  for (const c of view.changelog) {
    const first = c.text.split('\n')[0] ?? '';
    entries.push({
      id: `${base}/status/changelog/${c.id}`,
      title: `${c.host}: ${first.length > 120 ? `${first.slice(0, 119)}…` : first}`,
      updated: c.at,
      link: `${base}/status`,
      category: 'changelog',
      content: c.text,
    });
  }
  entries.sort((a, b) => b.updated.localeCompare(a.updated) || b.id.localeCompare(a.id));
  const shown = entries.slice(0, FEED_ENTRIES);
  const updated = shown[0]?.updated ?? view.at;
  const out = [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>${xml(`${base}/status`)}</id>`,
    `  <title>${xml(view.title)}</title>`,
    `  <subtitle>${xml(s.overall[view.overall])}</subtitle>`,
    `  <updated>${xml(updated)}</updated>`,
    `  <link rel="self" type="application/atom+xml" href="${xml(`${base}/status/feed.atom`)}"/>`,
    `  <link rel="alternate" type="text/html" href="${xml(`${base}/status`)}"/>`,
    `  <author><name>${xml(view.title)}</name></author>`,
    '  <generator>Roster</generator>',
  ];
  for (const e of shown) {
    out.push(
      '  <entry>',
      `    <id>${xml(e.id)}</id>`,
      `    <title>${xml(e.title)}</title>`,
      `    <updated>${xml(e.updated)}</updated>`,
      `    <published>${xml(e.updated)}</published>`,
      `    <link rel="alternate" type="text/html" href="${xml(e.link)}"/>`,
      `    <category term="${xml(e.category)}"/>`,
      `    <content type="text">${xml(e.content)}</content>`,
      '  </entry>',
    );
  }
  out.push('</feed>', '');
  return out.join('\n');
}
