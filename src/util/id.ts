/**
 * Identifiers for sessions and sockets.
 *
 * @module
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/**
 * A random, URL-safe, 20-character id (15 random bytes, base64url), the same
 * shape as the official server's session ids.
 */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(15));
  let out = "";
  for (let i = 0; i < 15; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[(n >> 18) & 63]! + ALPHABET[(n >> 12) & 63]! +
      ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  return out;
}
