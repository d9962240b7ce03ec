/**
 * The one type received binary has, chosen once per server: on Node and Bun
 * a `Buffer` (as the official server gives, so `Buffer.isBuffer(data)` and
 * `data.toString("hex")` work in ported code), on Deno, Workers and browsers
 * a plain `Uint8Array`. Either is a view on the bytes the transport read (a
 * `ws` or Bun frame, a decoded base64 segment): nothing is copied, and a
 * frame that already has the type is passed on as is.
 *
 * The session applies it to each binary message (`EngineSocket`), so every
 * way in (WebSocket frames from any glue or the bare fetch handler, polling
 * base64, protocol v3 binary bodies) and every reader above it (the
 * Socket.IO decoder's attachments, the msgpack parser, a custom parser, the
 * engine's `message` event) gets the same type; text packets never reach it.
 *
 * @module
 */

import { toUint8Array } from "../parser/socket_packet.ts";
import { nodeOrBunBuffer } from "../util/host.ts";

/** Turns received bytes into the host's binary type, without copying. */
export type ReceivedBytes = (bytes: Uint8Array) => Uint8Array;

/** The host's {@link ReceivedBytes}: a `Buffer` view on Node and Bun, a plain `Uint8Array` elsewhere. */
export function receivedBytes(): ReceivedBytes {
  const NodeBuffer = nodeOrBunBuffer();
  if (NodeBuffer === undefined) return toUint8Array;
  return (bytes) =>
    NodeBuffer.isBuffer(bytes)
      ? bytes
      : NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) as Uint8Array;
}
