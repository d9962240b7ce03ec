/**
 * The one size check of a message or a POST body against `maxPayload` /
 * `maxHttpBufferSize`: strings count in UTF-8 bytes, as on the wire. The
 * WebSocket transport, the polling transport and the runtime glue that checks
 * a frame before the engine sees it (runtime/deno.ts) all call it.
 *
 * @module
 */

const encoder = new TextEncoder();

/** Whether `data` is more than `max` bytes, strings counted in UTF-8. */
export function exceedsPayload(data: string | Uint8Array, max: number): boolean {
  if (typeof data !== "string") return data.byteLength > max;
  // a UTF-16 unit is 1–3 UTF-8 bytes: encode only when the bounds disagree
  if (data.length > max) return true;
  if (data.length * 3 <= max) return false;
  return encoder.encode(data).byteLength > max;
}
