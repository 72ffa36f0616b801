import type { PrincipalOutcome, PrincipalPasswordRequest, PrincipalPasswords } from '../../app/principal-passwords.js';
import type { RosterConfig } from '../../config/config-schema.js';
import { errorMessage, RosterError } from '../../domain/errors.js';
import { KERBEROS } from './kerberos-change.js';
import { kerberosConfigSchema, type KerberosConfig } from './kerberos-config.js';
import { kadminQuery } from './kadmin.js';
import { kinitAccepts } from './kinit-check.js';
import { readPrincipals } from './kerberos-observe.js';
import { markSteps, principalIn } from './kerberos-principal.js';

interface Kdc {
  readonly host: string;
  readonly config: KerberosConfig;
  readonly name: string;
}

/** A KDC's identity: hosts that name the same realm and kadmin share it, and the password is set there once. */
function kdcKey(c: KerberosConfig): string {
  return JSON.stringify([c.realm, c.kadmin?.server ?? 'local', c.krb5Config ?? '', c.kdcProfile ?? '']);
}

/**
 * The password at kadmin's prompts: twice (password and confirmation) for
 * addprinc and cpw. A newline would end the answer early and be taken for
 * the next prompt's, so it is refused (no policy allows one anyway).
 */
function promptAnswers(password: string): string {
  if (/[\r\n\u0000]/.test(password)) throw new RosterError('bad_input', 'the password must not contain a line break or NUL', [{ where: 'password', message: 'no line breaks' }]);
  return `${password}\n${password}\n`;
}

/**
 * PrincipalPasswords over kadmin, run by the process that handles the
 * command or request (the CLI, or `roster serve` for the portal and SCIM)
 * with the settings of the hosts' kerberos target. Each query's argv holds
 * the principal only; the password is written to kadmin's stdin.
 */
export function kerberosPasswords(config: RosterConfig, root = '/'): PrincipalPasswords {
  function kdcsOf(hosts: readonly string[], principal: string): Kdc[] {
    const kdcs = new Map<string, Kdc>();
    for (const host of hosts) {
      const section = (config.hosts[host]?.targets as Readonly<Record<string, unknown>> | undefined)?.[KERBEROS];
      if (section === undefined) continue;
      const parsed = kerberosConfigSchema.safeParse(section);
      if (!parsed.success) throw new RosterError('bad_config', `hosts.${host}.targets.kerberos is invalid`, parsed.error.issues.map((i) => ({ where: [`hosts.${host}.targets.kerberos`, ...i.path.map(String)].join('.'), message: i.message })));
      const where = principalIn(principal, parsed.data.realm);
      if ('problem' in where) throw new RosterError('bad_config', `host ${host}: ${where.problem}`, [{ where: `hosts.${host}.targets.kerberos.realm`, message: where.problem }]);
      const key = kdcKey(parsed.data);
      if (!kdcs.has(key)) kdcs.set(key, { host, config: parsed.data, name: where.name });
    }
    if (kdcs.size === 0) {
      throw new RosterError('unavailable', `none of the account's hosts (${hosts.join(', ') || 'none'}) enables the kerberos target, so the password of ${principal} cannot be set now; nothing was changed`);
    }
    return [...kdcs.values()];
  }

  async function exists(kdc: Kdc): Promise<boolean> {
    return (await readPrincipals(root, kdc.config, [kdc.name])).has(kdc.name);
  }

  /** addprinc with the password at its prompts, then Roster's marker; a principal made here is deleted again if marking fails. */
  async function addWithPassword(kdc: Kdc, request: PrincipalPasswordRequest): Promise<void> {
    await kadminQuery(root, kdc.config, `addprinc ${kdc.name}`, promptAnswers(request.password));
    try {
      for (const s of markSteps(kdc.name, { host: kdc.host, owner: request.owner.username, uid: request.owner.uid })) await kadminQuery(root, kdc.config, s.query);
    } catch (e) {
      await undo(kdc);
      throw e;
    }
  }

  async function undo(kdc: Kdc): Promise<void> {
    await kadminQuery(root, kdc.config, `delprinc -force ${kdc.name}`).catch(() => undefined);
  }

  function failure(kdc: Kdc, e: unknown, what: string): RosterError {
    const code = e instanceof RosterError && e.code === 'unavailable' ? 'unavailable' : 'conflict';
    return new RosterError(code, `the password of ${kdc.name} could not be set on the KDC of host ${kdc.host} (${what}): ${errorMessage(e)}`, [], { cause: e });
  }

  return {
    async create(request) {
      const kdcs = kdcsOf(request.hosts, request.principal);
      promptAnswers(request.password);
      const outcomes: PrincipalOutcome[] = [];
      const made: Kdc[] = [];
      try {
        for (const kdc of kdcs) {
          try {
            if (await exists(kdc)) {
              // RATS step 7: an existing principal keeps its password; the target adopts it as it is.
              outcomes.push({ host: kdc.host, principal: kdc.name, outcome: 'kept' });
              continue;
            }
            await addWithPassword(kdc, request);
          } catch (e) {
            throw failure(kdc, e, 'addprinc');
          }
          made.push(kdc);
          outcomes.push({ host: kdc.host, principal: kdc.name, outcome: 'created' });
        }
      } catch (e) {
        // All or nothing: principals this call made on other KDCs go again.
        for (const kdc of made) await undo(kdc);
        throw e;
      }
      return outcomes;
    },
    async check(request) {
      const [kdc] = kdcsOf(request.hosts, request.principal);
      return kdc === undefined ? false : kinitAccepts(root, kdc.config, kdc.name, request.password);
    },
    async change(request) {
      const kdcs = kdcsOf(request.hosts, request.principal);
      const answers = promptAnswers(request.password);
      const outcomes: PrincipalOutcome[] = [];
      for (const kdc of kdcs) {
        try {
          if (await exists(kdc)) {
            await kadminQuery(root, kdc.config, `cpw ${kdc.name}`, answers);
            outcomes.push({ host: kdc.host, principal: kdc.name, outcome: 'changed' });
          } else {
            await addWithPassword(kdc, request);
            outcomes.push({ host: kdc.host, principal: kdc.name, outcome: 'created' });
          }
        } catch (e) {
          // A password changed on one KDC cannot be taken back: the error says where it already is.
          const done = outcomes.length === 0 ? '' : `; already changed on the KDC of ${outcomes.map((o) => `host ${o.host}`).join(', ')}`;
          const f = failure(kdc, e, 'cpw');
          throw new RosterError(f.code, `${f.message}${done}`, [], { cause: e });
        }
      }
      return outcomes;
    },
  };
}
