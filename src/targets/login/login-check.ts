import { posix } from 'node:path';
import { lstat } from 'node:fs/promises';
import { errorMessage } from '../../domain/errors.js';
import type { LoginConfig } from './login-config.js';
import { rootedPath } from '../../system/rooted-path.js';
import { failed, passed, warned, type CheckSubject, type DoctorCheck } from '../../doctor/doctor-check.js';
import { controlRefuses, moduleName, ruleArgs, ruleSkipping, type PamRule } from '../../doctor/pam-rules.js';
import { readPamService, type PamService } from '../../doctor/read-pam-service.js';
import type { TargetCheck } from '../../doctor/target-check.js';

/** The services people log in with on a Debian host (docs/pam-login.md); those installed must refuse listed accounts. */
export const LOGIN_PAM_SERVICES = ['sshd', 'login', 'su'] as const;

/** The account-stack line of docs/pam-login.md: a listed user is refused, everyone else passes on. */
export function pamListfileLine(listPath: string): string {
  return `account required pam_listfile.so item=user sense=deny file=${listPath} onerr=succeed`;
}

function problemOf(rule: PamRule): string | null {
  const args = ruleArgs(rule);
  if (args.get('item') !== 'user') return `item=${args.get('item') ?? '(none)'} where the list holds user names (item=user)`;
  if (args.get('sense') !== 'deny') return `sense=${args.get('sense') ?? '(none)'}: the file lists the accounts to refuse, so it needs sense=deny`;
  if (!controlRefuses(rule.control)) return `control ${rule.control} does not refuse a listed account (use required)`;
  return null;
}

/**
 * Whether one PAM service refuses the accounts in `listPath` (pure): a
 * pam_listfile rule for that file in the account stack, which every login
 * runs (sshd's public-key logins skip the auth stack), with item=user,
 * sense=deny, a control that makes its failure final, and no rule before it
 * that can end the stack with success or jump over it.
 */
export function evaluatePamService(subject: CheckSubject, root: string, service: PamService, listPath: string): DoctorCheck {
  const at = (file: string): string => posix.join(root, file);
  const line = pamListfileLine(listPath);
  const isForList = (r: PamRule): boolean => moduleName(r) === 'pam_listfile.so' && ruleArgs(r).get('file') === listPath;
  const stack = service.rules.filter((r) => r.type === 'account');
  const account = stack.filter(isForList);
  const placed = account.filter((r) => problemOf(r) === null);
  const good = placed.find((r) => ruleSkipping(stack, stack.indexOf(r)) === null);
  if (good !== undefined) return passed(subject, `${at(service.file)} refuses the accounts listed in ${listPath}${good.file === service.file ? '' : ` (through ${at(good.file)})`}`);
  const late = placed[0];
  if (late !== undefined) {
    const skipper = ruleSkipping(stack, stack.indexOf(late));
    const what = skipper === null ? 'an earlier rule' : `"${skipper.type} ${skipper.control} ${skipper.module}" in ${at(skipper.file)}`;
    return failed(
      subject,
      `${at(late.file)} has the pam_listfile line for ${listPath}, but ${what} can end the account stack with success or jump over it, so PAM may never run it`,
      `move the pam_listfile line in ${at(late.file)} above that rule${skipper !== null && skipper.file !== late.file ? `, or into ${at(service.file)} before "@include common-account"` : ''}`,
    );
  }
  const wrong = account[0];
  if (wrong !== undefined) {
    return failed(subject, `${at(wrong.file)} has a pam_listfile line for ${listPath} that lets listed accounts in: ${problemOf(wrong) ?? ''}`, `replace that line in ${at(wrong.file)} with: ${line}`);
  }
  const authOnly = service.rules.some((r) => r.type === 'auth' && isForList(r)) ? ' (only in the auth stack, which public-key logins skip)' : '';
  return failed(subject, `${at(service.file)} does not refuse the accounts listed in ${listPath}${authOnly}`, `add this line to ${at(service.file)} before "@include common-account": ${line}`);
}

/** pam_listfile refuses a list that is not a regular file or is world-writable, and then `onerr=succeed` lets everyone in. */
async function listFileCheck(subject: CheckSubject, root: string, host: string, listPath: string): Promise<DoctorCheck> {
  const path = rootedPath(root, listPath);
  let st;
  try {
    st = await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return failed(subject, `cannot read ${path}: ${errorMessage(e)}`, `make ${path} readable by root`);
    return warned(subject, `${path} is not written yet, so PAM refuses nobody (onerr=succeed)`, `roster apply --host ${host}${root === '/' ? '' : ` --root ${root}`}`);
  }
  if (!st.isFile()) return failed(subject, `${path} is not a regular file, so pam_listfile ignores it`, `rm ${path} && roster apply --host ${host}${root === '/' ? '' : ` --root ${root}`}`);
  if ((st.mode & 0o002) !== 0) return failed(subject, `${path} is world-writable, so pam_listfile ignores it`, `chmod 0644 ${path}`);
  return passed(subject, `${path} is a regular file PAM accepts (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})`);
}

/**
 * The login target writes list files; PAM does the refusing
 * (docs/pam-login.md). Checks that the installed login services use each
 * list with the right sense, and that the lists are files PAM accepts.
 */
export const loginCheck: TargetCheck<LoginConfig> = async (ctx, config) => {
  const lists = [config.path, ...(config.noLoginPath === undefined ? [] : [config.noLoginPath])];
  const subject: CheckSubject = { check: 'pam', host: ctx.host, target: 'login' };
  const checks: DoctorCheck[] = [];
  const services: PamService[] = [];
  for (const name of LOGIN_PAM_SERVICES) {
    try {
      const service = await readPamService(ctx.root, name);
      if (service !== null) services.push(service);
    } catch (e) {
      checks.push(failed(subject, `cannot read the PAM service ${name}: ${errorMessage(e)}`, `run roster doctor as root (it reads ${rootedPath(ctx.root, `/etc/pam.d/${name}`)})`));
    }
  }
  if (services.length === 0 && checks.length === 0) {
    checks.push(
      failed(
        subject,
        `none of the PAM services ${LOGIN_PAM_SERVICES.join(', ')} is in ${rootedPath(ctx.root, '/etc/pam.d')}, so nothing refuses the accounts in ${lists.join(' and ')}`,
        `add "${pamListfileLine(config.path)}" to the PAM services people log in with`,
      ),
    );
  }
  for (const service of services) for (const list of lists) checks.push(evaluatePamService(subject, ctx.root, service, list));
  for (const list of lists) checks.push(await listFileCheck({ check: 'login list', host: ctx.host, target: 'login' }, ctx.root, ctx.host, list));
  return checks;
};
