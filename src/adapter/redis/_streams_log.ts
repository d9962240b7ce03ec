/**
 * What the streams adapter keeps in Redis, read back: stream entries (XRANGE,
 * XREAD replies, the `data` field as JSON or base64 of msgpack) and
 * {@link RedisStreamRecoveryLog}, the recovery data of
 * `@socket.io/redis-streams-adapter` 0.3 (the stream as the log of broadcasts,
 * sessions under `<sessionKeyPrefix><pid>`).
 *
 * @module
 */

import { decode as msgpackDecode, encode as msgpackEncode } from "../../parser/msgpack_codec.ts";
import { createLogger } from "../../util/logger.ts";
import type { PrivateSessionId, SessionToPersist } from "../adapter.ts";
import type { ClusterMessage } from "../cluster_adapter.ts";
import { decodeOptions } from "../cluster_wire.ts";
import type { LoggedPacket, LoggedSession, RecoveryLog, RestoredLog } from "../recovery_log.ts";
import type { RedisPort } from "./_client.ts";

const log = createLogger("sio-edge:redis");

/** A stream entry: its id and its fields. */
export interface Entry {
  id: string;
  fields: Record<string, string>;
}

function fieldsOf(list: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  if (Array.isArray(list)) {
    for (let i = 0; i + 1 < list.length; i += 2) fields[String(list[i])] = String(list[i + 1]);
  } else if (list && typeof list === "object") {
    for (const [k, v] of Object.entries(list)) fields[k] = String(v);
  }
  return fields;
}

/** The entries of an XRANGE reply. */
export function entriesOf(reply: unknown): Entry[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((e) => ({
    id: String((e as unknown[])[0]),
    fields: fieldsOf((e as unknown[])[1]),
  }));
}

/** The entries of an XREAD reply (RESP2 arrays or a RESP3 map). */
export function readEntries(reply: unknown): Entry[] {
  if (!reply) return [];
  if (reply instanceof Map) return [...reply.values()].flatMap(entriesOf);
  if (Array.isArray(reply)) return reply.flatMap((s) => entriesOf((s as unknown[])[1]));
  if (typeof reply === "object") return Object.values(reply).flatMap(entriesOf);
  return [];
}

/** Bytes as base64 (how the official adapter stores msgpack in a stream field). */
export function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** The reverse of {@link base64}. */
export function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/**
 * Recovery data in Redis, as the official streams adapter keeps it: the
 * stream is the log of broadcasts (a broadcast's XADD is its `append`, and
 * the entry id its offset), sessions are `SET <prefix><pid>
 * base64(msgpack({sid, pid, rooms, data})) PX <maxDisconnectionDuration>`.
 */
export class RedisStreamRecoveryLog implements RecoveryLog {
  constructor(
    readonly port: RedisPort,
    readonly stream: string,
    readonly nsp: string,
    readonly opts: { sessionKeyPrefix: string; maxRestoredEntries: number },
    readonly ttl: () => number,
  ) {}

  /** Nothing to do: the broadcast's own stream entry is the log. */
  append(_packet: LoggedPacket, _threshold: number): void {}

  persist(session: LoggedSession, _threshold: number): void {
    const { sid, pid, rooms, data } = session;
    const key = this.opts.sessionKeyPrefix + pid;
    const value = base64(msgpackEncode({ sid, pid, rooms, data }));
    this.port.command(["SET", key, value, "PX", String(this.ttl())], key).catch((err) =>
      log("persisting session %s failed: %s", sid, err?.message)
    );
  }

  async restore(
    pid: PrivateSessionId,
    offset: string,
    threshold: number,
  ): Promise<RestoredLog | null> {
    if (!/^[0-9]+-[0-9]+$/.test(offset)) return null;
    const key = this.opts.sessionKeyPrefix + pid;
    const [raw, at] = await Promise.all([
      this.port.command(["GETDEL", key], key),
      this.port.command(["XRANGE", this.stream, offset, offset], this.stream),
    ]);
    if (typeof raw !== "string" && !(raw instanceof Uint8Array)) return null;
    if (!entriesOf(at).length) return null;
    const text = typeof raw === "string" ? raw : new TextDecoder().decode(raw);
    const stored = msgpackDecode(fromBase64(text)) as Partial<SessionToPersist>;
    if (!stored || typeof stored.sid !== "string" || !Array.isArray(stored.rooms)) return null;
    const session: LoggedSession = {
      sid: stored.sid,
      pid: String(stored.pid ?? pid),
      rooms: stored.rooms.map(String),
      data: stored.data,
      disconnectedAt: threshold,
    };
    return { session, packets: await this.#after(offset, threshold) };
  }

  /** The broadcasts of this namespace after `offset`, in pages, at most `maxRestoredEntries`. */
  async #after(offset: string, threshold: number): Promise<LoggedPacket[]> {
    const packets: LoggedPacket[] = [];
    const page = 1000;
    let from = offset;
    let read = 0;
    while (read < this.opts.maxRestoredEntries) {
      const entries = entriesOf(
        await this.port.command(
          ["XRANGE", this.stream, "(" + from, "+", "COUNT", String(page)],
          this.stream,
        ),
      );
      for (const entry of entries) {
        from = entry.id;
        read++;
        if (entry.fields.nsp !== this.nsp || entry.fields.type !== "3") continue;
        const message = decodeEntry(entry.fields);
        const data = message.data as { packet?: { data?: unknown }; opts?: unknown } | undefined;
        if (!Array.isArray(data?.packet?.data)) continue;
        const emittedAt = parseInt(entry.id, 10);
        if (emittedAt < threshold) continue;
        const opts = decodeOptions(data.opts);
        packets.push({
          offset: entry.id,
          emittedAt,
          data: [...data.packet.data, entry.id],
          rooms: [...opts.rooms],
          except: [...(opts.except ?? [])],
        });
      }
      if (entries.length < page) break;
    }
    return packets;
  }
}

/** A stream entry back to a ClusterMessage: `data` is JSON, or base64 of msgpack. */
export function decodeEntry(fields: Record<string, string>): ClusterMessage {
  const message: ClusterMessage = {
    uid: fields.uid,
    nsp: fields.nsp,
    type: parseInt(fields.type ?? "", 10),
  } as ClusterMessage;
  const data = fields.data;
  if (data) {
    message.data =
      (data.startsWith("{") ? JSON.parse(data) : msgpackDecode(fromBase64(data))) as Record<
        string,
        unknown
      >;
  }
  return message;
}
