import * as z from 'zod';
import { describe, expect, it } from 'vitest';
import { knownServices, targetServices, type ServiceSource } from './known-services.js';

const lists: ServiceSource = {
  name: 'lists',
  hostSettings: z.strictObject({ services: z.array(z.string().regex(/^[a-z]+$/)) }),
  services: ['static'],
  servicesOf: (settings) => (settings as { services: string[] }).services,
};
const plain: ServiceSource = { name: 'plain', hostSettings: z.strictObject({}), services: ['cron'] };

describe('knownServices', () => {
  it("adds the services each host's settings of a target name to Roster's own and the targets' static ones", () => {
    const hosts = { a: { targets: { lists: { services: ['ftp', 'webmin'] } } }, b: { targets: { lists: { services: ['ftp', 'domtool'] }, plain: {} } }, c: {} };
    expect(knownServices([lists, plain], hosts)).toEqual({ services: ['cron', 'domtool', 'ftp', 'mail', 'portal', 'static', 'webmin'], partial: false });
    expect(targetServices(lists, hosts)).toEqual({ services: ['domtool', 'ftp', 'static', 'webmin'], partial: false });
    // Not enabled anywhere: its static services only.
    expect(targetServices(lists, { a: { targets: { plain: {} } } })).toEqual({ services: ['static'], partial: false });
  });

  it('says when a section that names services does not check, so its services are not known', () => {
    expect(knownServices([lists], { a: { targets: { lists: { services: ['FTP'] } } }, b: { targets: { lists: { services: ['ftp'] } } } })).toEqual({ services: ['ftp', 'mail', 'portal', 'static'], partial: true });
    // A target without servicesOf is never partial: its settings name no service.
    expect(knownServices([plain], { a: { targets: { plain: { bad: 1 } } } }).partial).toBe(false);
  });
});
