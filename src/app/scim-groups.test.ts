import { describe, expect, it } from 'vitest';
import { exampleConfig } from '../config/example-config.js';
import { parseConfig } from '../config/load-config.js';
import { MAX_USERNAME_LENGTH } from '../domain/usernames.js';
import { groupNameFromDisplayName } from './scim-groups.js';
import { unixNameFromUserName } from './scim-users.js';

/** The `usernames` rules of the example roster.yaml (the defaults). */
const { usernames } = parseConfig(exampleConfig(), '/srv/roster/roster.yaml').config;
const dotted = { ...usernames, pattern: '^[a-z][a-z0-9.-]{0,30}$', allowDots: true };

describe('Unix names from what an identity provider sends', () => {
  it('derives a group name from displayName as a username from userName: folded, lower-cased, words joined by "-"', () => {
    expect(groupNameFromDisplayName('Ops Team', usernames)).toBe('ops-team');
    expect(groupNameFromDisplayName('  Équipe  Développement ', usernames)).toBe('equipe-developpement');
    // What no name may hold goes; '_' separates words as a space does; '.' is kept only where the site allows dots.
    expect(groupNameFromDisplayName('R&D_Lab.North', usernames)).toBe('rd-labnorth');
    expect(groupNameFromDisplayName('R&D_Lab.North', dotted)).toBe('rd-lab.north');
    expect(unixNameFromUserName('Jane.Doe@Example.edu', usernames)).toBe('janedoe');
    expect(groupNameFromDisplayName('Jane.Doe', usernames)).toBe(unixNameFromUserName('Jane.Doe', usernames));
    expect(groupNameFromDisplayName('Jane.Doe', dotted)).toBe('jane.doe');
  });

  it('shortens a long name to the length limit without a dangling separator', () => {
    const name = groupNameFromDisplayName('Engineering Team - Platform Reliability (EMEA)', usernames);
    expect(name).toBe('engineering-team-platform-relia');
    expect(name?.length).toBeLessThanOrEqual(MAX_USERNAME_LENGTH);
    expect(groupNameFromDisplayName('Abcdefghij Abcdefghij Abcdefghi Xyz', usernames)).toBe('abcdefghij-abcdefghij-abcdefghi');
  });

  it('starts a name with a letter when the display name is a UUID or a number', () => {
    expect(groupNameFromDisplayName('8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', usernames)).toBe('g8aa1a0c0-c4c3-4bc0-b4a5-2ef676');
    expect(groupNameFromDisplayName('2024', usernames)).toBe('g2024');
  });

  it('gives null when nothing acceptable is left, and the caller picks a generic name', () => {
    expect(groupNameFromDisplayName('!!!', usernames)).toBeNull();
    expect(groupNameFromDisplayName('日本語', usernames)).toBeNull();
  });
});
