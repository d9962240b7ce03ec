/**
 * Connection state recovery that outlives hibernation: the storage strategy
 * of the `SessionAwareAdapter` that keeps the sessions of disconnected
 * sockets and the broadcast packets in the Durable Object's storage instead
 * of its memory. A client that drops while its object is idle may come back
 * after the object was evicted and still get its id, rooms, data and every
 * packet it missed. Which packets are kept and their offsets are the
 * adapter's rules; this file only stores, lists and sweeps.
 *
 * @module
 */

import type { PrivateSessionId, Room } from "../../adapter/adapter.ts";
import {
  isOffset,
  type LoggedPacket,
  type LoggedSession,
  makeOffset,
  type RecoveryLog,
  type RestoredLog,
} from "../../adapter/recovery_log.ts";
import type { Clock } from "../../util/clock.ts";
import type { CfStorage } from "./_types.ts";

/** A packet as storage keeps it, under `p:` + its offset (the key holds the offset). */
interface StoredPacket {
  readonly emittedAt: number;
  readonly data: unknown[];
  readonly rooms: readonly Room[];
  readonly except: readonly Room[];
}

/** How often expired entries are swept, at most. */
const SWEEP_INTERVAL_MS = 10_000;
/** How many expired entries one sweep deletes, at most (storage's batch limit). */
const SWEEP_BATCH = 128;

/** The recovery log of one namespace in Durable Object storage. */
export class DurableObjectRecoveryLog implements RecoveryLog {
  readonly #storage: CfStorage;
  readonly #prefix: string;
  readonly #clock: Clock;
  #lastSweep = 0;

  /** Keeps namespace `nsp`'s recovery data in `storage`; `clock` paces the sweeps. */
  constructor(storage: CfStorage, nsp: string, clock: Clock) {
    this.#storage = storage;
    this.#prefix = `sio-edge:recovery:${nsp}:`;
    this.#clock = clock;
  }

  append(packet: LoggedPacket, threshold: number): void {
    const stored: StoredPacket = {
      emittedAt: packet.emittedAt,
      data: packet.data,
      rooms: packet.rooms,
      except: packet.except,
    };
    this.#write(() => this.#storage.put(this.#prefix + "p:" + packet.offset, stored));
    this.#sweep(threshold);
  }

  persist(session: LoggedSession, threshold: number): void {
    this.#write(() => this.#storage.put(this.#prefix + "s:" + session.pid, session));
    this.#sweep(threshold);
  }

  async restore(
    pid: PrivateSessionId,
    offset: string,
    threshold: number,
  ): Promise<RestoredLog | null> {
    const sessionKey = this.#prefix + "s:" + pid;
    const session = await this.#storage.get<LoggedSession>(sessionKey);
    if (!session || session.disconnectedAt < threshold || !isOffset(offset)) return null;
    const packetPrefix = this.#prefix + "p:";
    // the offset may be too old (or forged): the client gets a fresh session
    if (await this.#storage.get(packetPrefix + offset) === undefined) return null;
    const later = await this.#storage.list<StoredPacket>({
      prefix: packetPrefix,
      start: packetPrefix + offset,
    });
    await this.#storage.delete(sessionKey);
    const packets: LoggedPacket[] = [];
    for (const [key, packet] of later) {
      if (key === packetPrefix + offset) continue;
      packets.push({ offset: key.slice(packetPrefix.length), ...packet });
    }
    return { session, packets };
  }

  /** Deletes a batch of expired packets and sessions, at most every {@link SWEEP_INTERVAL_MS}. */
  #sweep(threshold: number): void {
    const now = this.#clock.now();
    if (now - this.#lastSweep < SWEEP_INTERVAL_MS) return;
    this.#lastSweep = now;
    const prefix = this.#prefix;
    this.#write(async () => {
      // offsets sort by time: every packet key before the threshold's offset is expired
      const packets = await this.#storage.list({
        prefix: prefix + "p:",
        end: prefix + "p:" + makeOffset(threshold, 0),
        limit: SWEEP_BATCH,
      });
      const sessions = await this.#storage.list<LoggedSession>({
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
