import { randomBytes, timingSafeEqual } from 'node:crypto';
import koffi from 'koffi';
import { errorMessage, RosterError } from '../domain/errors.js';

/**
 * Password hashing through the host's own libcrypt (Debian: libxcrypt), so
 * the hashes we write are exactly what pam_unix on the same host verifies
 * (DESIGN.md §3 Passwords). We call the reentrant `_rn` variants: they return
 * NULL on failure instead of a static "*0" string and keep no global state.
 */

export type CryptScheme = 'yescrypt' | 'sha512crypt';

const SONAME = 'libcrypt.so.1';

const PREFIX: Readonly<Record<CryptScheme, string>> = { yescrypt: '$y$', sha512crypt: '$6$' };

// sizeof(struct crypt_data) in libxcrypt is 32768; crypt_rn refuses a smaller
// buffer, and a larger one is harmless.
const CRYPT_DATA_SIZE = 32768;
// CRYPT_GENSALT_OUTPUT_SIZE in <crypt.h>.
const GENSALT_OUTPUT_SIZE = 192;
// libxcrypt fails (ERANGE) on phrases of CRYPT_MAX_PASSPHRASE_SIZE (512) bytes
// or more, NUL included; we say so up front instead of a bare failure.
const MAX_PASSWORD_BYTES = 511;
// Our own entropy (not libcrypt's getrandom fallback); each scheme takes what
// it needs from these (yescrypt all 32, sha512crypt 12).
const SALT_BYTES = 32;

const LONE_SURROGATE = /\p{Surrogate}/u;

interface LibcryptBinding {
  readonly gensalt: (prefix: string, count: number, rbytes: Buffer, nrbytes: number, output: Buffer, size: number) => string | null;
  readonly crypt: (phrase: Buffer, setting: string, data: Buffer, size: number) => string | null;
}

let binding: LibcryptBinding | undefined;

/** Opens libcrypt on first use, so importing this module never fails on hosts without it. */
function libcrypt(): LibcryptBinding {
  if (binding !== undefined) return binding;
  let lib: ReturnType<typeof koffi.load>;
  try {
    lib = koffi.load(SONAME);
  } catch (e) {
    // `internal` (exit 1, HTTP 500) as any fault of the installation: the host lacks what the package depends on (roster doctor checks it).
    throw new RosterError('internal', `cannot load ${SONAME} (Debian package libcrypt1), needed to hash passwords: ${errorMessage(e)}`, [], { cause: e });
  }
  // The phrase goes in as bytes we encode ourselves (UTF-8 plus NUL) so we can
  // wipe that copy afterwards; koffi's string conversion would leave one we can't reach.
  const gensalt = lib.func('const char *crypt_gensalt_rn(const char *prefix, unsigned long count, const uint8_t *rbytes, int nrbytes, _Out_ uint8_t *output, int output_size)');
  const crypt = lib.func('const char *crypt_rn(const uint8_t *phrase, const char *setting, _Inout_ uint8_t *data, int size)');
  binding = {
    gensalt: (prefix, count, rbytes, nrbytes, output, size) => gensalt(prefix, count, rbytes, nrbytes, output, size) as string | null,
    crypt: (phrase, setting, data, size) => crypt(phrase, setting, data, size) as string | null,
  };
  return binding;
}

/** Hashes `password` with a fresh salt; throws if libcrypt refuses. */
export function hashPassword(password: string, scheme: CryptScheme): string {
  const phrase = encodePhrase(password);
  try {
    const rbytes = randomBytes(SALT_BYTES);
    const output = Buffer.alloc(GENSALT_OUTPUT_SIZE);
    const setting = libcrypt().gensalt(PREFIX[scheme], 0, rbytes, rbytes.length, output, output.length);
    rbytes.fill(0);
    // A libcrypt without this method (roster doctor checks both schemes): a fault of the installation, like a missing libcrypt.
    if (setting === null || setting.startsWith('*')) throw new RosterError('internal', `libcrypt could not make a ${scheme} salt`);
    const hash = cryptWith(phrase, setting);
    // A hash that does not start with its own setting would mean libcrypt
    // chose another method than asked; never store that silently.
    if (hash === null || !hash.startsWith(setting)) throw new RosterError('internal', `libcrypt could not hash with ${scheme}`);
    return hash;
  } finally {
    phrase.fill(0);
  }
}

/**
 * True when `password` hashes to `hash`. A stored value libcrypt cannot use
 * as a setting (a locked `!$y$…`, `*`, an empty field) verifies nothing, so
 * that is false rather than an error.
 */
export function verifyPassword(password: string, hash: string): boolean {
  const phrase = encodePhrase(password);
  try {
    if (hash === '') return false;
    const again = cryptWith(phrase, hash);
    if (again === null) return false;
    const a = Buffer.from(again, 'utf8');
    const b = Buffer.from(hash, 'utf8');
    // The length comes from the setting, not the password, so returning early
    // on a mismatch leaks nothing; timingSafeEqual needs equal lengths.
    return a.length === b.length && timingSafeEqual(a, b);
  } finally {
    phrase.fill(0);
  }
}

/** crypt_rn, with its working buffer wiped (it holds password-derived state). */
function cryptWith(phrase: Buffer, setting: string): string | null {
  const data = Buffer.alloc(CRYPT_DATA_SIZE);
  try {
    const out = libcrypt().crypt(phrase, setting, data, data.length);
    // libxcrypt returns NULL on failure, but a "*0"/"*1" failure token is
    // what crypt(3) documents, so treat both as failure.
    return out === null || out.startsWith('*') ? null : out;
  } finally {
    data.fill(0);
  }
}

function encodePhrase(password: string): Buffer {
  // C strings end at the first NUL: "abc\0xyz" would silently become "abc".
  if (password.includes('\0')) throw new RosterError('bad_input', 'a password must not contain a NUL character');
  // A lone surrogate would be encoded as U+FFFD, so two different passwords
  // would share one hash.
  if (LONE_SURROGATE.test(password)) throw new RosterError('bad_input', 'a password must be valid Unicode text');
  const bytes = Buffer.from(password, 'utf8');
  if (bytes.length > MAX_PASSWORD_BYTES) {
    throw new RosterError('bad_input', `a password must be at most ${MAX_PASSWORD_BYTES} bytes in UTF-8`);
  }
  const phrase = Buffer.alloc(bytes.length + 1);
  bytes.copy(phrase);
  bytes.fill(0);
  return phrase;
}
