/**
 * Base64 for polling payloads (`b` + base64 binary packets). Written here
 * because `Uint8Array.prototype.toBase64` is missing on Node 20 and `btoa`
 * needs a binary string copy of the whole buffer.
 *
 * @module
 */

const CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const LOOKUP = new Uint8Array(128).fill(255);
for (let i = 0; i < CHARS.length; i++) LOOKUP[CHARS.charCodeAt(i)] = i;

/** Encodes bytes as standard base64 with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = "";
  const len = bytes.length;
  const whole = len - (len % 3);
  for (let i = 0; i < whole; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    chunk += CHARS[n >> 18]! + CHARS[(n >> 12) & 63]! + CHARS[(n >> 6) & 63]! +
      CHARS[n & 63]!;
    // keep intermediate strings short: one flat rope per 48 KiB of input
    if (chunk.length >= 65536) {
      parts.push(chunk);
      chunk = "";
    }
  }
  if (len - whole === 1) {
    const n = bytes[whole]! << 16;
    chunk += CHARS[n >> 18]! + CHARS[(n >> 12) & 63]! + "==";
  } else if (len - whole === 2) {
    const n = (bytes[whole]! << 16) | (bytes[whole + 1]! << 8);
    chunk += CHARS[n >> 18]! + CHARS[(n >> 12) & 63]! + CHARS[(n >> 6) & 63]! + "=";
  }
  parts.push(chunk);
  return parts.join("");
}

/**
 * Decodes standard base64 (padding optional). Returns `undefined` for any
 * character outside the alphabet or an impossible length.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  let end = text.length;
  if (end > 0 && text.charCodeAt(end - 1) === 61) end--;
  if (end > 0 && text.charCodeAt(end - 1) === 61) end--;
  if (end % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  let i = 0;
  for (; i + 4 <= end; i += 4) {
    const a = sextet(text, i), b = sextet(text, i + 1);
    const c = sextet(text, i + 2), d = sextet(text, i + 3);
    if ((a | b | c | d) > 63) return undefined;
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 255;
    out[o++] = n & 255;
  }
  const rest = end - i;
  if (rest >= 2) {
    const a = sextet(text, i), b = sextet(text, i + 1);
    const c = rest === 3 ? sextet(text, i + 2) : 0;
    if ((a | b | c) > 63) return undefined;
    const n = (a << 18) | (b << 12) | (c << 6);
    out[o++] = n >> 16;
    if (rest === 3) out[o++] = (n >> 8) & 255;
  }
  return out;
}

function sextet(text: string, i: number): number {
  const code = text.charCodeAt(i);
  return code < 128 ? LOOKUP[code]! : 255;
}
