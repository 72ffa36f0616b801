import { describe, expect, it } from 'vitest';
import { postgresUrl, redactedUrl, urlPassword, urlProblem, urlUser } from './postgres-url.js';

describe('postgres URLs', () => {
  it('replaces the user, password or database and keeps the rest as written', () => {
    const tcp = 'postgres://roster:s%40cret@db.example.org:5433/postgres?sslmode=require';
    expect(postgresUrl(tcp, { database: 'alice_blog' })).toBe('postgres://roster:s%40cret@db.example.org:5433/alice_blog?sslmode=require');
    expect(postgresUrl(tcp, { database: 'alice_blog', password: null })).toBe('postgres://roster@db.example.org:5433/alice_blog?sslmode=require');
    // Another user never inherits the configured role's password.
    expect(postgresUrl(tcp, { user: 'alice' })).toBe('postgres://alice@db.example.org:5433/postgres?sslmode=require');
    expect(postgresUrl('postgres://roster@/postgres?host=/var/run/postgresql', { password: 'p:w/@' })).toBe('postgres://roster:p%3Aw%2F%40@/postgres?host=/var/run/postgresql');
    expect(postgresUrl('postgresql:///postgres?host=/tmp', { user: 'bob' })).toBe('postgresql://bob@/postgres?host=/tmp');
    expect([urlUser(tcp), urlPassword(tcp), urlPassword('postgres://roster@h/d')]).toEqual(['roster', 's@cret', undefined]);
  });

  it('shows a url without its password, and names what is wrong with one that is not a postgres url', () => {
    expect(redactedUrl('postgres://roster:hunter2@127.0.0.1:5432/postgres')).toBe('postgres://roster:***@127.0.0.1:5432/postgres');
    expect(redactedUrl('postgres://roster@127.0.0.1/postgres')).toBe('postgres://roster@127.0.0.1/postgres');
    expect(urlProblem('postgres://roster@h/postgres')).toBeNull();
    expect(urlProblem('mysql://roster@h/db')).toBe('the postgres url must look like postgres://user@host:port/database (without a #fragment)');
    expect(urlProblem('postgres://ro%zzster@h/db')).toBe('the postgres url has a malformed %-escape in "ro%zzster"');
  });
});
