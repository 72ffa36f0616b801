import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from './libcrypt.js';

const PASSWORD = 'correct-Horse-battery-9';
const UNICODE = 'Søren-Пароль-密码-🔑 naïve';

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' }).status === 0;
}

/** Runs a judge with the password on stdin (never in argv, where `ps` would show it). */
function judge(cmd: string, args: readonly string[], password: string): string {
  const r = spawnSync(cmd, args, {
    input: `${password}\n`,
    encoding: 'utf8',
    // Python in a C locale would decode stdin as ASCII and fail on UNICODE.
    env: { ...process.env, PYTHONUTF8: '1', PYTHONIOENCODING: 'utf-8' },
  });
  if (r.error !== undefined) throw r.error;
  expect(r.stderr.replace(/.*DeprecationWarning.*\n?/g, '')).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trim();
}

// Python 3.11's crypt module calls the host's crypt(3) itself, so it checks
// our FFI plumbing (salt in, phrase encoding, result out) from outside Node.
const PY_CRYPT = 'import crypt,sys; print(crypt.crypt(sys.stdin.readline().rstrip("\\n"), sys.argv[1]))';
function pyCrypt(password: string, setting: string): string {
  return judge('python3', ['-W', 'ignore::DeprecationWarning', '-c', PY_CRYPT, setting], password);
}

/** `$6$<salt>$<hash>` -> salt. */
function sha512Salt(hash: string): string {
  const salt = hash.split('$')[2];
  if (salt === undefined) throw new Error(`not a sha512crypt hash: ${hash}`);
  return salt;
}

const B64 = '[./0-9A-Za-z]';

describe('hashPassword / verifyPassword (host libcrypt)', () => {
  it('makes yescrypt hashes in the $y$ format', () => {
    const h = hashPassword(PASSWORD, 'yescrypt');
    expect(h).toMatch(new RegExp(`^\\$y\\$${B64}+\\$${B64}+\\$${B64}{43}$`));
  });

  it('makes sha512crypt hashes in the $6$ format with a 16-character salt', () => {
    const h = hashPassword(PASSWORD, 'sha512crypt');
    expect(h).toMatch(new RegExp(`^\\$6\\$${B64}{16}\\$${B64}{86}$`));
  });

  it.each(['yescrypt', 'sha512crypt'] as const)('salts every %s hash afresh', (scheme) => {
    const a = hashPassword(PASSWORD, scheme);
    const b = hashPassword(PASSWORD, scheme);
    expect(a).not.toBe(b);
    expect(verifyPassword(PASSWORD, a)).toBe(true);
    expect(verifyPassword(PASSWORD, b)).toBe(true);
  });

  it.each(['yescrypt', 'sha512crypt'] as const)('verifies the right %s password and nothing else', (scheme) => {
    const h = hashPassword(PASSWORD, scheme);
    expect(verifyPassword(PASSWORD, h)).toBe(true);
    expect(verifyPassword('correct-Horse-battery-8', h)).toBe(false);
    expect(verifyPassword('', h)).toBe(false);
    expect(verifyPassword(`${PASSWORD} `, h)).toBe(false);
  });

  it('verifies nothing against locked, empty or foreign values', () => {
    const h = hashPassword(PASSWORD, 'yescrypt');
    // DESIGN.md §3: a disabled account gets `!` before its hash.
    expect(verifyPassword(PASSWORD, `!${h}`)).toBe(false);
    expect(verifyPassword(PASSWORD, '*')).toBe(false);
    expect(verifyPassword(PASSWORD, '!')).toBe(false);
    expect(verifyPassword('', '')).toBe(false);
    expect(verifyPassword(PASSWORD, '$q$nonsense')).toBe(false);
  });

  it('round-trips UTF-8 passwords', () => {
    for (const scheme of ['yescrypt', 'sha512crypt'] as const) {
      const h = hashPassword(UNICODE, scheme);
      expect(verifyPassword(UNICODE, h)).toBe(true);
      // No Unicode normalisation: PAM compares bytes, and so do we.
      expect(verifyPassword(UNICODE.normalize('NFD'), h)).toBe(false);
      expect(pyCrypt(UNICODE, h)).toBe(h);
    }
  });

  it('rejects NUL, lone surrogates and over-long passwords without echoing them', () => {
    const secret = 'abc\0hunter2';
    expect(() => hashPassword(secret, 'yescrypt')).toThrow(/NUL/);
    expect(() => verifyPassword(secret, hashPassword('abc', 'yescrypt'))).toThrow(/NUL/);
    try {
      hashPassword(secret, 'sha512crypt');
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter2');
    }
    expect(() => hashPassword('a\uD800b', 'yescrypt')).toThrow(/Unicode/);
    expect(() => hashPassword('x'.repeat(512), 'sha512crypt')).toThrow(/511 bytes/);
    expect(verifyPassword('x'.repeat(511), hashPassword('x'.repeat(511), 'sha512crypt'))).toBe(true);
  });

  describe('independent judges', () => {
    it.each(['yescrypt', 'sha512crypt'] as const)('python3 crypt.crypt reproduces our %s hash', (scheme) => {
      const h = hashPassword(PASSWORD, scheme);
      expect(pyCrypt(PASSWORD, h)).toBe(h);
      expect(pyCrypt('wrong', h)).not.toBe(h);
    });

    it('verifies a hash made by python3 crypt', () => {
      const made = judge('python3', ['-W', 'ignore::DeprecationWarning', '-c',
        'import crypt,sys; print(crypt.crypt(sys.stdin.readline().rstrip("\\n"), crypt.mksalt(crypt.METHOD_SHA512)))'], PASSWORD);
      expect(made).toMatch(/^\$6\$/);
      expect(verifyPassword(PASSWORD, made)).toBe(true);
    });

    it.skipIf(!onPath('mkpasswd'))('mkpasswd -m sha512crypt reproduces our sha512crypt hash', () => {
      const h = hashPassword(PASSWORD, 'sha512crypt');
      expect(judge('mkpasswd', ['-m', 'sha512crypt', '-S', sha512Salt(h), '--stdin'], PASSWORD)).toBe(h);
    });

    // python3 and mkpasswd both end in the same libcrypt; OpenSSL has its own
    // SHA-512-crypt, so this one checks the algorithm, not just the plumbing.
    it.skipIf(!onPath('openssl'))('openssl passwd -6 (its own implementation) reproduces our sha512crypt hash', () => {
      for (const pw of [PASSWORD, UNICODE]) {
        const h = hashPassword(pw, 'sha512crypt');
        expect(judge('openssl', ['passwd', '-6', '-salt', sha512Salt(h), '-stdin'], pw)).toBe(h);
      }
    });
  });
});
