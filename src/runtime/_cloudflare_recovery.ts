/**
 * Connection state recovery that outlives hibernation: the sessions of
 * disconnected sockets and the broadcast EVENT packets live in the Durable
 * Object's storage instead of its memory. A client that drops while its
 * object is idle may come back after the object was evicted and still get
 * its id, rooms, data and every packet it missed.
 *
 * The contract is the in-memory `SessionAwareAdapter`'s: each stored EVENT
 * gets its offset appended as its last argument (how the official client
 * learns it), volatile packets and packets with an ack are not stored, and
 * everything expires after `maxDisconnectionDuration`.
 *
 * @module
 */

import { type Packet, PacketType } from "../parser/socket_packet.ts";
import {
  Adapter,
  type AdapterNamespace,
  type BroadcastOptions,
  type PrivateSessionId,
  type Room,
  type Session,
  type SessionToPersist,
} from "../adapter/adapter.ts";
import type { CfStorage } from "./_cloudflare_types.ts";

interface StoredPacket {
  emittedAt: number;
  data: unknown[];
  rooms: Room[];
  except: Room[];
}

type StoredSession = SessionToPersist & { disconnectedAt: number };

/** How often expired entries are swept, at most. */
const SWEEP_INTERVAL_MS = 10_000;
/** How many expired entries one sweep deletes, at most (storage's batch limit). */
const SWEEP_BATCH = 128;

/** The adapter of namespace `nsp`, keeping recovery data in `storage`. */
export class StorageRecoveryAdapter extends Adapter {
  #storage: CfStorage;
  #counter = 0;
  #lastSweep = 0;

  constructor(nsp: AdapterNamespace, storage: CfStorage) {
    super(nsp);
    this.#storage = storage;
  }

  get #now(): number {
    return this.nsp._adapterContext.clock.now();
  }

  get #prefix(): string {
    return `sio-edge:recovery:${this.nsp.name}:`;
  }

  /** Keeps `session` for `maxDisconnectionDuration`. */
  override persistSession(session: SessionToPersist): void {
    const stored: StoredSession = { ...session, disconnectedAt: this.#now };
    this.#write(() => this.#storage.put(this.#prefix + "s:" + session.pid, stored));
    this.#sweep();
  }

  /** The session of `pid` with every packet for it after `offset`; null if expired or unknown. */
  override async restoreSession(pid: PrivateSessionId, offset: string): Promise<Session | null> {
    const sessionKey = this.#prefix + "s:" + pid;
    const session = await this.#storage.get<StoredSession>(sessionKey);
    const threshold = this.#now - this.nsp._adapterContext.maxDisconnectionDuration;
    if (!session || session.disconnectedAt < threshold || !isOffset(offset)) return null;
    const packetPrefix = this.#prefix + "p:";
    // the offset may be too old (or forged): the client gets a fresh session
    if (await this.#storage.get(packetPrefix + offset) === undefined) return null;
    const later = await this.#storage.list<StoredPacket>({
      prefix: packetPrefix,
      start: packetPrefix + offset,
    });
    await this.#storage.delete(sessionKey);
    const missedPackets: unknown[][] = [];
    for (const [key, packet] of later) {
      if (key === packetPrefix + offset || packet.emittedAt < threshold) continue;
      if (reaches(session.rooms, packet)) missedPackets.push(packet.data);
    }
    const { disconnectedAt: _, ...persisted } = session;
    return { ...persisted, missedPackets };
  }

  /** Stores and stamps EVENT packets without ack or `volatile`, then sends as usual. */
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    const storable = packet.type === PacketType.EVENT && packet.id === undefined &&
      opts.flags?.volatile === undefined && Array.isArray(packet.data);
    if (!storable) return super.broadcast(packet, opts);
    const emittedAt = this.#now;
    const offset = makeOffset(emittedAt, this.#counter++);
    // a copy: a parent namespace hands the same packet to each child adapter
    const data = [...(packet.data as unknown[]), offset];
    const stored: StoredPacket = {
      emittedAt,
      data,
      rooms: [...opts.rooms],
      except: [...(opts.except ?? [])],
    };
    this.#write(() => this.#storage.put(this.#prefix + "p:" + offset, stored));
    this.#sweep();
    super.broadcast({ ...packet, data }, opts);
  }

  /** Deletes a batch of expired packets and sessions, at most every {@link SWEEP_INTERVAL_MS}. */
  #sweep(): void {
    const now = this.#now;
    if (now - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    const threshold = now - this.nsp._adapterContext.maxDisconnectionDuration;
    const prefix = this.#prefix;
    this.#write(async () => {
      // offsets sort by time: every packet key before the threshold's offset is expired
      const packets = await this.#storage.list({
        prefix: prefix + "p:",
        end: prefix + "p:" + makeOffset(threshold, 0),
        limit: SWEEP_BATCH,
      });
      const sessions = await this.#storage.list<StoredSession>({
        prefix: prefix + "s:",
        limit: SWEEP_BATCH,
      });
      const expired = [...packets.keys()];
      for (const [key, session] of sessions) {
        if (session.disconnectedAt < threshold) expired.push(key);
      }
      if (expired.length) await this.#storage.delete(expired);
    });
  }

  #write(write: () => Promise<unknown>): void {
    // output gates hold the object's next answer until the write is durable; a failure (or
    // `data` that cannot be cloned) loses one recovery, never the connection
    try {
      write().catch(() => {});
    } catch {
      // thrown synchronously: not clonable
    }
  }
}

/** A sortable offset: the time (ms, base 36, fixed width) and a per-instance counter. */
export function makeOffset(time: number, counter: number): string {
  return Math.max(0, Math.floor(time)).toString(36).padStart(9, "0") + "-" +
    counter.toString(36).padStart(6, "0");
}

function isOffset(offset: string): boolean {
  return /^[0-9a-z]{9}-[0-9a-z]{6,}$/.test(offset);
}

/** Whether a broadcast stored as `packet` would have reached a socket in `rooms`. */
function reaches(rooms: Room[], packet: StoredPacket): boolean {
  const included = packet.rooms.length === 0 || rooms.some((room) => packet.rooms.includes(room));
  const excluded = rooms.some((room) => packet.except.includes(room));
  return included && !excluded;
}
