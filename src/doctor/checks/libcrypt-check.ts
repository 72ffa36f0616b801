import { errorMessage } from '../../domain/errors.js';
import { hashPassword, verifyPassword, type CryptScheme } from '../../system/libcrypt.js';
import { failed, passed, type CheckSubject, type DoctorCheck } from '../doctor-check.js';
import type { GlobalCheck } from '../global-check.js';

const SUBJECT: CheckSubject = { check: 'libcrypt' };

/** Each crypt scheme an account type uses, with the types that use it. */
export function schemesInUse(types: Readonly<Record<string, { readonly auth: unknown; readonly password: { readonly scheme: CryptScheme } }>>): Map<CryptScheme, string[]> {
  const out = new Map<CryptScheme, string[]>();
  for (const [name, type] of Object.entries(types)) {
    if (type.auth !== 'crypt') continue;
    out.set(type.password.scheme, [...(out.get(type.password.scheme) ?? []), name]);
  }
  return out;
}

/**
 * Roster hashes passwords with this machine's libcrypt, the library pam_unix
 * verifies them with: each scheme the account types configure must hash and
 * verify a sample here (yescrypt needs libxcrypt 4.3 or later).
 */
export const libcryptCheck: GlobalCheck = async (ctx) => {
  const schemes = schemesInUse(ctx.loaded.config.types);
  if (schemes.size === 0) return [passed(SUBJECT, 'no account type has crypt passwords, so no hashing is needed')];
  const checks: DoctorCheck[] = [];
  for (const [scheme, types] of schemes) {
    let problem: string | null = null;
    try {
      const sample = 'roster doctor sample';
      if (!verifyPassword(sample, hashPassword(sample, scheme))) problem = `a ${scheme} hash it made does not verify`;
    } catch (e) {
      problem = errorMessage(e);
    }
    const other = scheme === 'yescrypt' ? 'sha512crypt' : 'yescrypt';
    checks.push(
      problem === null
        ? passed(SUBJECT, `libcrypt hashes and verifies ${scheme} (types ${types.join(', ')})`)
        : failed(SUBJECT, `libcrypt cannot use ${scheme}, which types ${types.join(', ')} configure: ${problem}`, `apt-get install libcrypt1, or set types.${types[0] ?? '<type>'}.password.scheme: ${other}`),
    );
  }
  return checks;
};
