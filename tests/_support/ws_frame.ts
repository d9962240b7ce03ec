/**
 * One masked client WebSocket frame (RFC 6455 §5.2), for tests that speak
 * WebSocket over a bare TCP socket: any payload length (7-bit, 16-bit and
 * 64-bit forms), FIN set.
 *
 * @module
 */

/**
 * Encodes `payload` as one final frame of `opcode` (1 text, 8 close, …),
 * masked with `mask` (four bytes; a client must mask, the value is free).
 */
export function maskedFrame(
  opcode: number,
  payload: Uint8Array,
  mask: Uint8Array = new Uint8Array([0x11, 0x22, 0x33, 0x44]),
): Uint8Array {
  const n = payload.length;
  const lengthBytes = n < 126 ? 0 : n < 65_536 ? 2 : 8;
  const headLength = 2 + lengthBytes;
  const out = new Uint8Array(headLength + 4 + n);
  const view = new DataView(out.buffer);
  out[0] = 0x80 | opcode;
  if (lengthBytes === 0) out[1] = 0x80 | n;
  else if (lengthBytes === 2) {
    out[1] = 0x80 | 126;
    view.setUint16(2, n);
  } else {
    out[1] = 0x80 | 127;
    view.setBigUint64(2, BigInt(n));
  }
  out.set(mask.subarray(0, 4), headLength);
  for (let i = 0; i < n; i++) out[headLength + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return out;
}

/** A masked text frame of `text` (UTF-8). */
export function maskedText(text: string, mask?: Uint8Array): Uint8Array {
  return maskedFrame(0x1, new TextEncoder().encode(text), mask);
}
