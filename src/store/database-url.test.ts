import { describe, expect, it } from 'vitest';
import { describeDatabase, parseDatabaseUrl } from './database-url.js';

describe('parseDatabaseUrl', () => {
  it('tells SQLite paths from PostgreSQL URLs', () => {
    expect(parseDatabaseUrl('roster.db')).toEqual({ dialect: 'sqlite', path: 'roster.db' });
    expect(parseDatabaseUrl('/var/lib/roster/roster.db')).toEqual({ dialect: 'sqlite', path: '/var/lib/roster/roster.db' });
    expect(parseDatabaseUrl('sqlite:roster.db')).toEqual({ dialect: 'sqlite', path: 'roster.db' });
    expect(parseDatabaseUrl('sqlite:///var/roster.db')).toEqual({ dialect: 'sqlite', path: '/var/roster.db' });
    expect(parseDatabaseUrl(':memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
    expect(parseDatabaseUrl('postgres://u@h/db')).toEqual({ dialect: 'postgres', url: 'postgres://u@h/db' });
    expect(parseDatabaseUrl('PostgreSQL://u@h:5433/db?sslmode=require')).toMatchObject({ dialect: 'postgres' });
  });

  it('refuses unknown schemes and empty locations instead of creating a file by that name', () => {
    expect(() => parseDatabaseUrl('postgress://u@h/db')).toThrow(expect.objectContaining({ code: 'bad_config' }));
    expect(() => parseDatabaseUrl('mysql://root@h/db')).toThrow(/unsupported database URL scheme "mysql:"/);
    expect(() => parseDatabaseUrl('  ')).toThrow(expect.objectContaining({ code: 'bad_config' }));
    expect(() => parseDatabaseUrl('sqlite:')).toThrow(expect.objectContaining({ code: 'bad_config' }));
  });
});

describe('describeDatabase', () => {
  it('hides passwords in user-info and query parameters', () => {
    expect(describeDatabase('postgres://roster:s3cret@db.example.org:5432/roster')).toBe('postgres://roster:***@db.example.org:5432/roster');
    expect(describeDatabase('postgresql://roster:p%40ss@db/roster?sslmode=require&password=x')).toBe('postgresql://roster:***@db/roster?sslmode=require&password=***');
  });

  it('leaves locations without secrets as they are', () => {
    expect(describeDatabase('postgres://postgres@127.0.0.1:5432/roster')).toBe('postgres://postgres@127.0.0.1:5432/roster');
    expect(describeDatabase('/var/lib/roster/roster.db')).toBe('/var/lib/roster/roster.db');
    expect(describeDatabase('sqlite:roster.db')).toBe('sqlite:roster.db');
  });

  it('masks even a URL it cannot parse', () => {
    expect(describeDatabase('postgres://u:pw@[bad/db')).not.toContain('pw@');
  });
});
