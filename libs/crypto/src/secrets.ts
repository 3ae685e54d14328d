import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Constant-time string comparison (hashing first removes the length leak). */
export function constantTimeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb);
}

/** SHA-256 hex of a high-entropy token (API keys): a slow KDF adds nothing for 256-bit randoms. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A random token `<prefix>_<lookup>_<secret>`; `lookup` is stored in clear to find the hash row. */
export function generateToken(prefix: string): { token: string; lookup: string } {
  const lookup = randomBytes(6).toString('base64url');
  const token = `${prefix}_${lookup}_${randomBytes(24).toString('base64url')}`;
  return { token, lookup };
}

/** Last `n` characters for display (`…a1b2`), never more than a quarter of the secret. */
export function secretHint(value: string, n = 4): string {
  const shown = Math.min(n, Math.floor(value.length / 4));
  return shown > 0 ? value.slice(-shown) : '';
}
