/**
 * The in-memory adapter with connection state recovery: it keeps the sessions
 * of disconnected sockets and the broadcast EVENT packets, and gives a
 * reconnecting client back its id, rooms, data and the packets it missed.
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
} from "./adapter.ts";

interface StoredPacket {
  /** The offset: the client sends back the last one it got. */
  id: string;
  emittedAt: number;
  data: unknown[];
  opts: BroadcastOptions;
}

type StoredSession = SessionToPersist & { disconnectedAt: number };

/**
 * Keeps what {@link SessionAwareAdapter.restoreSession} needs for
 * `maxDisconnectionDuration`. Every stored EVENT gets its offset appended as
 * its last argument, which is how the official client learns it.
 * Expired sessions and packets are dropped lazily, so the adapter owns no timer.
 *
 * @example
 * ```ts ignore
 * const io = new Server({ connectionStateRecovery: {} }); // uses this adapter
 * ```
 */
export class SessionAwareAdapter extends Adapter {
  #sessions = new Map<PrivateSessionId, StoredSession>();
  #packets: StoredPacket[] = [];
  #offsetPrefix = "";
  #offsetCounter = 0;

  /** Makes the adapter of `nsp`. */
  constructor(nsp: AdapterNamespace) {
    super(nsp);
    // offsets must not repeat across adapters of a restarted process: the prefix is the start time
    this.#offsetPrefix = nsp._adapterContext.clock.now().toString(36) + "-";
  }

  get #maxDuration(): number {
    return this.nsp._adapterContext.maxDisconnectionDuration;
  }

  get #now(): number {
    return this.nsp._adapterContext.clock.now();
  }

  /** Keeps `session` for `maxDisconnectionDuration`. */
  override persistSession(session: SessionToPersist): void {
    this.#expire();
    this.#sessions.delete(session.pid); // re-inserted last, keeping the order by time
    this.#sessions.set(session.pid, { ...session, disconnectedAt: this.#now });
  }

  /** The session of `pid` with every packet for it after `offset`; null if expired or unknown. */
  override restoreSession(pid: PrivateSessionId, offset: string): Promise<Session | null> {
    this.#expire();
    const session = this.#sessions.get(pid);
    if (!session) return Promise.resolve(null);
    const index = this.#packets.findIndex((p) => p.id === offset);
    // the offset may be too old (or forged): the client gets a fresh session
    if (index === -1) return Promise.resolve(null);
    this.#sessions.delete(pid);
    const missedPackets: unknown[][] = [];
    for (let i = index + 1; i < this.#packets.length; i++) {
      const packet = this.#packets[i]!;
      if (reaches(session.rooms, packet.opts)) missedPackets.push(packet.data);
    }
    const { disconnectedAt: _, ...persisted } = session;
    return Promise.resolve({ ...persisted, missedPackets });
  }

  /** Stores and stamps EVENT packets without ack or `volatile`, then sends as usual. */
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    const storable = packet.type === PacketType.EVENT && packet.id === undefined &&
      opts.flags?.volatile === undefined && Array.isArray(packet.data);
    if (!storable) return super.broadcast(packet, opts);
    this.#expire();
    const id = this.#offsetPrefix + (this.#offsetCounter++).toString(36);
    // a copy: a parent namespace hands the same packet to each child adapter
    const data = [...(packet.data as unknown[]), id];
    this.#packets.push({ id, emittedAt: this.#now, data, opts });
    super.broadcast({ ...packet, data }, opts);
  }

  #expire(): void {
    const threshold = this.#now - this.#maxDuration;
    // insertion order is disconnection order: stop at the first live session
    for (const [pid, session] of this.#sessions) {
      if (session.disconnectedAt >= threshold) break;
      this.#sessions.delete(pid);
    }
    let drop = 0;
    while (drop < this.#packets.length && this.#packets[drop]!.emittedAt < threshold) drop++;
    if (drop) this.#packets.splice(0, drop);
  }
}

/** Whether a broadcast with `opts` would have reached a socket in `rooms`. */
function reaches(rooms: Room[], opts: BroadcastOptions): boolean {
  const included = opts.rooms.size === 0 || rooms.some((room) => opts.rooms.has(room));
  const excluded = opts.except !== undefined && rooms.some((room) => opts.except!.has(room));
  return included && !excluded;
}
