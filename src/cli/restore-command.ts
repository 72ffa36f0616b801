import type { Command } from 'commander';
import { accountView } from '../app/account-view.js';
import type { AppContext } from '../app/app-context.js';
import { requireAccount } from '../app/accounts.js';
import { restoreAccount } from '../app/restore-account.js';
import { errorMessage, RosterError } from '../domain/errors.js';
import { resolveRoot } from '../reconcile/resolve-root.js';
import { readArchive, restorableArchives, type HomeArchiveManifest } from '../targets/homes/home-archive.js';
import { homesConfigSchema } from '../targets/homes/homes-config.js';
import { archiveSettings } from '../targets/archive-settings.js';
import { homesTarget } from '../targets/homes/homes-target.js';
import { withContext } from './command-runner.js';

interface FoundArchive {
  readonly host: string;
  readonly root: string;
  readonly manifest: string;
  readonly files: number;
  readonly archivedAt: string;
  readonly tarSha256: string;
}

/**
 * With --host: the host must run the homes target and hold a complete
 * archive of this account (same username and UID) whose tarball matches its
 * SHA-256, or nothing is restored — better to find out now than after the
 * account is active with an empty home.
 */
async function findArchive(ctx: AppContext, username: string, uid: number, host: string, rootOption: string): Promise<FoundArchive> {
  const hostConfig = ctx.config.hosts[host];
  if (hostConfig === undefined) throw new RosterError('not_found', `no host "${host}" in roster.yaml`, [{ where: '--host', message: 'unknown host' }]);
  const sections = hostConfig.targets as Readonly<Record<string, unknown>>;
  if (!Object.hasOwn(sections, homesTarget.name)) throw new RosterError('not_found', `host ${host} does not run the homes target, so it has no archives`);
  const config = homesConfigSchema.parse(sections[homesTarget.name] ?? {});
  const root = await resolveRoot(rootOption);
  const { dir } = archiveSettings(config, ctx.config.purge);
  const ref = restorableArchives(root, dir).get(`${username}:${uid}`);
  if (ref === undefined) {
    throw new RosterError('not_found', `no archive of ${username} (uid ${uid}) waiting in ${root === '/' ? '' : root}${dir}; run without --host to restore the account with a new home`, [{ where: dir, message: 'no archive' }]);
  }
  let manifest: HomeArchiveManifest;
  try {
    manifest = await readArchive(root, dir, ref.name);
  } catch (e) {
    throw new RosterError('bad_input', `the archive ${ref.name} of ${username} is damaged: ${errorMessage(e)}`, [{ where: `${dir}/${ref.name}.manifest.json`, message: 'does not verify' }]);
  }
  if (manifest.username !== username || manifest.uid !== uid) throw new RosterError('bad_input', `archive ${ref.name} is of ${manifest.username} (uid ${manifest.uid}), not ${username} (uid ${uid})`);
  return { host, root, manifest: `${dir}/${ref.name}.manifest.json`, files: manifest.entries.length, archivedAt: manifest.archivedAt, tarSha256: manifest.tar.sha256 };
}

/** `roster account restore USER` under the `account` command: brings a purged account back (same username and UID); apply restores its home. */
export function registerRestoreCommand(account: Command): void {
  account
    .command('restore <username>')
    .description('bring a purged account back with the same username and UID; the next apply restores its home from the archive')
    .option('--host <host>', 'check that this host holds a complete archive of the home first')
    .option('--root <dir>', 'root prefix of that host, like useradd -R', '/')
    .option('--dry-run', 'show what would change and change nothing')
    .action(async (username: string, o: { host?: string; root: string }, cmd: Command) => {
      await withContext(cmd, async (ctx, out, opts) => {
        const dryRun = opts.dryRun === true;
        const tombstone = await requireAccount(ctx.store.read, username);
        if (tombstone.purgedAt === null) throw new RosterError('conflict', `${username} is not purged; nothing to restore`);
        const archive = o.host === undefined ? undefined : await findArchive(ctx, username, tombstone.uid, o.host, o.root);
        const r = await restoreAccount(ctx, username, { dryRun, ...(archive === undefined ? {} : { archive: { ...archive } }) });
        const view = accountView(r.account, ctx.clock.now());
        out.print({ ...view, dryRun, archive: archive ?? null }, () =>
          [
            `${dryRun ? 'would restore' : 'restored'} ${username} (uid ${view.uid}, state ${view.state})`,
            archive === undefined
              ? 'no host checked: the next roster apply restores the home on each host that holds an archive, else creates a new one'
              : `home archive on ${archive.host}: ${archive.manifest} (${archive.files} entries, archived ${archive.archivedAt}); run roster apply --host ${archive.host} to bring it back`,
          ].join('\n'),
        );
        out.pending(true);
      });
    });
}
