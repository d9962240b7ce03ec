/**
 * Identifiers for sessions and sockets.
 *
 * @module
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// ids drawn per refill: one `getRandomValues` call serves this many ids
const BATCH = 64;
const pool = new Uint8Array(15 * BATCH);
let offset = pool.length;

/**
 * A random, URL-safe, 20-character id (15 random bytes, base64url), the same
 * shape as the official server's session ids. The bytes come from a pool that
 * is refilled from `crypto.getRandomValues` once every 64 ids.
 */
export function randomId(): string {
  if (offset === pool.length) {
    crypto.getRandomValues(pool);
    offset = 0;
  }
  const bytes = pool;
  const start = offset;
  offset += 15;
  let out = "";
  for (let i = start; i < start + 15; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! +
      ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  return out;
}
