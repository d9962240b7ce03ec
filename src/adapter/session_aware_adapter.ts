/**
 * Connection state recovery as one adapter with a storage strategy: it keeps
 * the sessions of disconnected sockets and the broadcast EVENT packets, and
 * gives a reconnecting client back its id, rooms, data and the packets it
 * missed. Which packets are kept, how their offset is stamped and which kept
 * packet a session would have received live here, once; where they are kept
 * is the {@link RecoveryLog}'s business (memory by default, Durable Object
 * storage on Cloudflare).
 *
 * @module
 */

import { type Packet, PacketType } from "../parser/socket_packet.ts";
import {
  Adapter,
  type AdapterNamespace,
  type BroadcastOptions,
  type PrivateSessionId,
  type Session,
  type SessionToPersist,
} from "./adapter.ts";
import {
  type LoggedPacket,
  makeOffset,
  MemoryRecoveryLog,
  reaches,
  type RecoveryLog,
} from "./recovery_log.ts";

/**
 * Whether a broadcast is kept for recovery: an EVENT without ack that is not
 * `volatile` (the official rule).
 */
export function isRecoverable(packet: Packet, opts: BroadcastOptions): boolean {
  return packet.type === PacketType.EVENT && packet.id === undefined &&
    opts.flags?.volatile === undefined && Array.isArray(packet.data);
}

/**
 * The adapter with connection state recovery. Every kept EVENT gets its
 * offset appended as its last argument, which is how the official client
 * learns it; everything expires after `maxDisconnectionDuration`.
 *
 * @example
 * ```ts ignore
 * const io = new Server({ connectionStateRecovery: {} }); // uses this adapter, in memory
 * ```
 */
export class SessionAwareAdapter extends Adapter {
  readonly #log: RecoveryLog;
  #counter = 0;

  /** Makes the adapter of `nsp`, keeping its recovery data in `log` (memory by default). */
  constructor(nsp: AdapterNamespace, log: RecoveryLog = new MemoryRecoveryLog()) {
    super(nsp);
    this.#log = log;
  }

  get #now(): number {
    return this.nsp._adapterContext.clock.now();
  }

  /** The oldest time whose sessions and packets are still kept. */
  get #threshold(): number {
    return this.#now - this.nsp._adapterContext.maxDisconnectionDuration;
  }

  /** Keeps `session` for `maxDisconnectionDuration`. */
  override persistSession(session: SessionToPersist): void {
    this.#log.persist({ ...session, disconnectedAt: this.#now }, this.#threshold);
  }

  /** The session of `pid` with every packet for it after `offset`; null if expired or unknown. */
  override restoreSession(pid: PrivateSessionId, offset: string): Promise<Session | null> {
    const threshold = this.#threshold;
    return this.#log.restore(pid, offset, threshold).then((found) => {
      if (!found) return null;
      const { disconnectedAt: _, ...persisted } = found.session;
      const missedPackets: unknown[][] = [];
      for (const packet of found.packets) {
        if (packet.emittedAt >= threshold && reaches(persisted.rooms, packet)) {
          missedPackets.push(packet.data);
        }
      }
      return { ...persisted, missedPackets };
    });
  }

  /** Stores and stamps EVENT packets without ack or `volatile`, then sends as usual. */
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    if (!isRecoverable(packet, opts)) return super.broadcast(packet, opts);
    const emittedAt = this.#now;
    const offset = makeOffset(emittedAt, this.#counter++);
    // a copy: a parent namespace hands the same packet to each child adapter
    const data = [...(packet.data as unknown[]), offset];
    const logged: LoggedPacket = {
      offset,
      emittedAt,
      data,
      rooms: [...opts.rooms],
      except: opts.except ? [...opts.except] : [],
    };
    this.#log.append(logged, this.#threshold);
    super.broadcast({ ...packet, data }, opts);
  }
}
