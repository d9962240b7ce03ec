/**
 * The official socket.io-parser as the reference for codec tests: a corpus
 * of packets covering every type, namespaces, ids and binary attachments,
 * and the official encoder and decoder wrapped to take and give our
 * `Packet` shape.
 *
 * @module
 */

import {
  Decoder as OfficialDecoder,
  Encoder as OfficialEncoder,
  type Packet as OfficialPacket,
} from "socket.io-parser";
import type { Packet } from "../../src/parser/socket_packet.ts";

const bytes = (...values: number[]) => new Uint8Array(values);

/** Packets of every type, with and without namespace, id and binary data. */
export const interopCorpus: readonly Packet[] = [
  { type: 0, nsp: "/" },
  { type: 0, nsp: "/admin", data: { token: "abc", n: 1 } },
  { type: 0, nsp: "/", data: { sid: "xyz", pid: "p" } },
  { type: 1, nsp: "/admin" },
  { type: 2, nsp: "/", data: ["hello", 1, "é😀"] },
  { type: 2, nsp: "/admin", id: 13, data: ["q", { a: [null, false] }] },
  { type: 2, nsp: "/", data: ["bin", bytes(1, 2, 3), { deep: [bytes(4)] }] },
  { type: 2, nsp: "/x", id: 0, data: ["two", bytes(), bytes(255)] },
  { type: 3, nsp: "/", id: 1, data: [] },
  { type: 3, nsp: "/admin", id: 99, data: [{ file: bytes(9, 8) }] },
  { type: 4, nsp: "/", data: { message: "Invalid namespace" } },
  { type: 4, nsp: "/admin", data: { message: "nope", data: { code: 1 } } },
];

/** What the official encoder writes for `packet` (given a copy: it rewrites binary in place). */
export function officialEncode(packet: Packet): (string | Uint8Array)[] {
  const copy = structuredClone(packet) as OfficialPacket;
  return new OfficialEncoder().encode(copy) as (string | Uint8Array)[];
}

/** What the official decoder makes of `parts`, as it gives it. */
export function officialDecode(parts: readonly (string | Uint8Array)[]): unknown {
  const decoder = new OfficialDecoder();
  let result: unknown;
  decoder.on("decoded", (packet: unknown) => (result = packet));
  for (const part of parts) decoder.add(part);
  return result;
}

/** The official decoder leaves `nsp` and optional fields in a fixed shape: ours, for comparing. */
export function normalise(packet: unknown): unknown {
  const p = packet as Record<string, unknown>;
  const out: Record<string, unknown> = { type: p.type, nsp: p.nsp };
  if (p.id !== undefined) out.id = p.id;
  if (p.data !== undefined) out.data = p.data;
  return out;
}
