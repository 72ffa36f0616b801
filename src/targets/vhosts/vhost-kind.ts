import * as z from 'zod';
import type { ResourceKind } from '../target.js';

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A fully qualified DNS host name in lower case (RFC 1123 labels): names are
 * compared as written, and both servers match Host case-insensitively, so
 * one spelling keeps collisions visible.
 */
export const hostName = z
  .string()
  .max(253, { error: 'a host name has at most 253 characters' })
  .refine((n) => n.includes('.') && n.split('.').every((l) => LABEL.test(l)), {
    error: 'must be a fully qualified host name in lower case, such as www.example.org (labels of letters, digits and -, at most 63 each)',
  });

const SEGMENT = /^[A-Za-z0-9_~+-][A-Za-z0-9._~+-]*$/;

/**
 * A directory relative to the owner's home (seed SoftwareArchitecturePlans
 * and the domain tool: members' static sites live in their homes). Only
 * plain segments, so it stays inside the home and needs no quoting in either
 * server's config: no `..`, no `.`, no leading `/`.
 */
const root = z
  .string()
  .min(1)
  .max(255)
  .refine((p) => p.split('/').every((s) => SEGMENT.test(s)), {
    error: 'must be a directory inside the home, relative to it, such as public_html (segments of letters, digits and . _ ~ + -; no .., no leading /)',
  });

/** The member's own daemon on this machine (seed SoftwareArchitecturePlans 6.1.1: dynamic sites through members' daemons that the main web server proxies). */
const PROXY = /^(127\.0\.0\.1|\[::1\]|localhost):(\d{1,5})$/;

/** Ports below 1024 belong to the system's own services, which a member's vhost must not reach; a member's daemon cannot bind them anyway. */
const MIN_PROXY_PORT = 1024;

const proxy = z.string().refine(
  (p) => {
    const port = Number(PROXY.exec(p)?.[2] ?? NaN);
    return Number.isInteger(port) && port >= MIN_PROXY_PORT && port <= 65535;
  },
  { error: `must be 127.0.0.1:PORT, [::1]:PORT or localhost:PORT with PORT from ${MIN_PROXY_PORT} to 65535 (the member's own daemon on this machine)` },
);

export const vhostSettingsSchema = z
  .strictObject({
    root: root.optional().describe("the directory served, relative to the owner's home, such as public_html"),
    proxy: proxy.optional().describe("the member's own daemon requests are passed to: 127.0.0.1:PORT, [::1]:PORT or localhost:PORT"),
    aliases: z.array(hostName).max(100).default([]).describe('more host names served by the same vhost'),
  })
  .refine((s) => (s.root === undefined) !== (s.proxy === undefined), { error: "set exactly one of root (a directory in the home) and proxy (the member's own daemon)" });

export type VhostSettings = z.output<typeof vhostSettingsSchema>;

/** `roster resource add alice --kind vhost --name www.example.org --set root=public_html`. */
export const vhostKind: ResourceKind = {
  description: "a web site: a directory in the owner's home or a proxy to the owner's own daemon, answered 503 with the suspended page while the owner is frozen",
  settings: vhostSettingsSchema,
  name: hostName,
};
