import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { archivedFile, archiveResourceFile, archiveStem, markRestored, newestResourceArchive, verifiedArchivePath, type ArchiveFileInput, type ResourceArchiveManifest } from './resource-archive.js';

let root: string;
const DIR = '/var/lib/roster/archive';
const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

function input(over: Partial<ArchiveFileInput> & { readonly text?: string } = {}): ArchiveFileInput {
  const text = over.text ?? 'dump of alice_blog\n';
  return {
    root,
    archiveDir: DIR,
    target: 'postgres',
    host: 'db',
    owner: { username: 'alice', uid: 2001, at: '2026-11-23T12:00:00.000Z' },
    kind: 'postgres-database',
    name: 'alice_blog',
    ext: 'dump',
    now: new Date('2026-11-24T08:00:00Z'),
    write: (path) => writeFile(path, text),
    ...over,
  };
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'roster-resource-archive-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('resource archives', () => {
  it('names files and the manifest after the owner, UID and stamp as homes does, 0700 dir and 0600 files, manifest listing SHA-256 and size', async () => {
    expect(archiveStem('alice', 2001, '2026-11-23T12:00:00.000Z')).toBe('alice-2001-20261123T120000000Z');
    const done = await archiveResourceFile(input());
    await archiveResourceFile(input({ name: 'alice_wiki', text: 'wiki\n' }));
    const dir = join(root, DIR);
    expect(readdirSync(dir).sort()).toEqual([
      'alice-2001-20261123T120000000Z.postgres-database.alice_blog.dump',
      'alice-2001-20261123T120000000Z.postgres-database.alice_wiki.dump',
      'alice-2001-20261123T120000000Z.postgres.manifest.json',
    ]);
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);
    for (const name of readdirSync(dir)) expect(lstatSync(join(dir, name)).mode & 0o777).toBe(0o600);
    expect(done).toEqual({
      manifest: `${DIR}/alice-2001-20261123T120000000Z.postgres.manifest.json`,
      file: { file: 'alice-2001-20261123T120000000Z.postgres-database.alice_blog.dump', kind: 'postgres-database', name: 'alice_blog', sha256: sha('dump of alice_blog\n'), bytes: 19, archivedAt: '2026-11-24T08:00:00.000Z' },
      reused: false,
    });
    const manifest = JSON.parse(readFileSync(join(dir, 'alice-2001-20261123T120000000Z.postgres.manifest.json'), 'utf8')) as ResourceArchiveManifest;
    expect({ ...manifest, files: manifest.files.map((f) => [f.name, f.sha256]) }).toEqual({
      format: 'roster-resource-archive/1',
      target: 'postgres',
      host: 'db',
      owner: 'alice',
      uid: 2001,
      stamp: '20261123T120000000Z',
      files: [
        ['alice_blog', sha('dump of alice_blog\n')],
        ['alice_wiki', sha('wiki\n')],
      ],
    });
  });

  it('a file already listed is reused, not written again; a writer that fails leaves no file and no manifest entry', async () => {
    await archiveResourceFile(input());
    let called = false;
    const again = await archiveResourceFile(input({ write: () => ((called = true), Promise.resolve()) }));
    expect([again.reused, called]).toEqual([true, false]);
    await expect(archiveResourceFile(input({ name: 'broken', write: async (path) => (await writeFile(path, 'half'), Promise.reject(new Error('pg_dump died'))) }))).rejects.toThrow('pg_dump died');
    expect(readdirSync(join(root, DIR)).filter((n) => n.includes('broken'))).toEqual([]);
    expect(await archivedFile(root, DIR, 'postgres', input().owner, 'postgres-database', 'broken')).toBeNull();
    expect((await archivedFile(root, DIR, 'postgres', input().owner, 'postgres-database', 'alice_blog'))?.bytes).toBe(19);
  });

  it('finds the newest archive of a resource, checks it against its SHA-256, and restores it at most once', async () => {
    await archiveResourceFile(input({ text: 'old\n', owner: { username: 'alice', uid: 2001, at: '2025-01-01T00:00:00.000Z' } }));
    await archiveResourceFile(input({ text: 'new\n' }));
    // Another UID with the same name is another account; another target's manifests are not read.
    await archiveResourceFile(input({ text: 'other\n', owner: { username: 'alice', uid: 2002, at: '2027-01-01T00:00:00.000Z' } }));
    const query = { target: 'postgres', username: 'alice', uid: 2001, kind: 'postgres-database', name: 'alice_blog' };
    const found = await newestResourceArchive(root, DIR, query);
    if (found === null) throw new Error('no archive found');
    expect(found.stamp).toBe('20261123T120000000Z');
    expect(readFileSync(await verifiedArchivePath(root, DIR, found), 'utf8')).toBe('new\n');
    expect(await newestResourceArchive(root, DIR, { ...query, name: 'nothing' })).toBeNull();
    expect(await newestResourceArchive(root, DIR, { ...query, target: 'mariadb' })).toBeNull();

    writeFileSync(join(root, DIR, found.file.file), 'tampered\n');
    await expect(verifiedArchivePath(root, DIR, found)).rejects.toThrow(/does not match alice-2001-20261123T120000000Z\.postgres\.manifest\.json \(sha256 [0-9a-f]{64}, 9 bytes; expected [0-9a-f]{64}, 4 bytes\)/);

    await markRestored(root, DIR, 'postgres', found, new Date('2026-12-01T00:00:00Z'));
    // The newest was restored: an older one is not offered instead.
    expect(await newestResourceArchive(root, DIR, query)).toBeNull();
  });

  it('refuses an archive dir reached through a symbolic link', async () => {
    await mkdir(join(root, 'var/lib/roster'), { recursive: true });
    const elsewhere = await mkdtemp(join(tmpdir(), 'roster-elsewhere-'));
    try {
      symlinkSync(elsewhere, join(root, 'var/lib/roster/archive'));
      await expect(archiveResourceFile(input())).rejects.toThrow('refusing archive dir /var/lib/roster/archive: /var/lib/roster/archive is a symbolic link');
      expect(readdirSync(elsewhere)).toEqual([]);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
