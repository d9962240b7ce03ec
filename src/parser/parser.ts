/**
 * The shape of a Socket.IO parser, as the official server's `parser` option
 * takes it: a module (or object) with an `Encoder` and a `Decoder` class —
 * `socket.io-parser`, `socket.io-msgpack-parser`, `sio-edge/msgpack`, or an
 * application's own.
 *
 * @module
 */

import type { Packet } from "./socket_packet.ts";

/** Encodes packets; one instance serves the whole server (broadcasts are encoded once). */
export interface PacketEncoder {
  /** The Engine.IO messages of one packet, in order. */
  encode(packet: Packet): readonly (string | Uint8Array)[];
}

/** Decodes the messages of one connection; emits `decoded` for each complete packet. */
export interface PacketDecoder {
  /** One Engine.IO message; throws on malformed input (the connection is then closed). */
  add(chunk: string | Uint8Array): void;
  /** Called once the connection is closed. */
  destroy(): void;
  /** Registers the listener of complete packets. */
  on(event: "decoded", fn: (packet: Packet) => void): unknown;
}

/** A parser: its `Encoder` and `Decoder` classes. */
export interface Parser {
  readonly Encoder: new () => PacketEncoder;
  readonly Decoder: new () => PacketDecoder;
}
