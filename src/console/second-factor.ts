import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { RosterError } from '../domain/errors.js';

/**
 * The console's second factor (issue 16 item 1): TOTP as RFC 6238 and every
 * authenticator app know it (SHA-1, 6 digits, 30 s), with one step of clock
 * skew either way, and single-use recovery codes. The secret is kept sealed
 * (AES-256-GCM under a key derived from the server's HMAC key), so a copy of
 * the database alone gives no codes.
 */

const DIGITS = 6;
const PERIOD = 30;
/** Recovery codes given at set-up, each good once. */
export const RECOVERY_CODES = 10;

function sealKey(hmacKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', hmacKey, Buffer.alloc(0), 'roster console totp secret', 32));
}

/** A new random secret, base32 (what an authenticator app is given). */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

/** Seals a base32 secret for the store: iv.tag.ciphertext, base64url. */
export function sealSecret(hmacKey: Buffer, secret: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealKey(hmacKey), iv);
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return [iv, cipher.getAuthTag(), body].map((b) => b.toString('base64url')).join('.');
}

/** The secret back; a damaged value or another server's key is refused rather than guessed at. */
export function openSecret(hmacKey: Buffer, sealed: string): string {
  const [iv, tag, body] = sealed.split('.').map((p) => Buffer.from(p, 'base64url'));
  if (iv === undefined || tag === undefined || body === undefined) throw new RosterError('internal', 'a stored second factor is damaged');
  try {
    const decipher = createDecipheriv('aes-256-gcm', sealKey(hmacKey), iv);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    throw new RosterError('internal', 'a stored second factor cannot be opened with this server key (was the key replaced?)');
  }
}

function totp(secret: string, issuer: string, username: string): TOTP {
  return new TOTP({ issuer, label: username, algorithm: 'SHA1', digits: DIGITS, period: PERIOD, secret: Secret.fromBase32(secret) });
}

/** The otpauth:// URI an authenticator app scans. */
export function totpUri(secret: string, issuer: string, username: string): string {
  return totp(secret, issuer, username).toString();
}

/** The code for `at` (tests and the command line's set-up check use it). */
export function totpCode(secret: string, at: Date): string {
  return totp(secret, 'Roster', 'x').generate({ timestamp: at.getTime() });
}

/**
 * The time step a code belongs to, if it is right for `at` within one step
 * of skew; undefined when it is wrong. The caller accepts a step only once.
 */
export function totpStep(secret: string, code: string, at: Date): number | undefined {
  const clean = code.replace(/\s+/g, '');
  if (!/^\d{6}$/.test(clean)) return undefined;
  const delta = totp(secret, 'Roster', 'x').validate({ token: clean, timestamp: at.getTime(), window: 1 });
  return delta === null ? undefined : Math.floor(at.getTime() / 1000 / PERIOD) + delta;
}

/** A recovery code as typed (any case, with or without the dash) to the form it is hashed in. */
function normaliseRecovery(code: string): string {
  return code.toLowerCase().replace(/[\s-]+/g, '');
}

/** SHA-256 (hex) of a recovery code, as stored. */
export function recoveryHash(code: string): string {
  return createHash('sha256').update(`roster-recovery\0${normaliseRecovery(code)}`).digest('hex');
}

/** Whether the text typed looks like a recovery code (ten letters and digits, a dash optional) rather than a TOTP code. */
export function looksLikeRecoveryCode(code: string): boolean {
  return /^[a-z2-9]{10}$/.test(normaliseRecovery(code));
}

const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** New recovery codes, `xxxxx-xxxxx` from letters and digits that are not confused with each other. */
export function newRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODES }, () => {
    const chars = Array.from({ length: 10 }, () => ALPHABET[randomInt(ALPHABET.length)] ?? 'a').join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
}
