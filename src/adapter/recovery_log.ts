/**
 * The storage strategy of connection state recovery: where the
 * {@link SessionAwareAdapter} keeps the sessions of disconnected sockets and
 * the broadcasts they may have missed. A log only stores, finds and expires;
 * which packets are kept, their offsets and who would have received them are
 * the adapter's rules (`session_aware_adapter.ts`).
 *
 * @module
 */

import type { PrivateSessionId, Room, SessionToPersist } from "./adapter.ts";

/** A kept broadcast. */
export interface LoggedPacket {
  /** Its offset ({@link makeOffset}), also the last element of `data`. */
  readonly offset: string;
  /** When it was sent (the adapter's clock, ms). */
  readonly emittedAt: number;
  /** The EVENT's arguments, the offset appended. */
  readonly data: unknown[];
  /** The rooms it went to (empty: the whole namespace). */
  readonly rooms: readonly Room[];
  /** The rooms left out. */
  readonly except: readonly Room[];
}

/** A kept session, and when its socket disconnected. */
export type LoggedSession = SessionToPersist & { readonly disconnectedAt: number };

/** What {@link RecoveryLog.restore} finds. */
export interface RestoredLog {
  /** The session (no longer kept once found). */
  readonly session: LoggedSession;
  /** Every kept packet after the offset, oldest first (the adapter picks the session's). */
  readonly packets: readonly LoggedPacket[];
}

/**
 * Where recovery data is kept. `threshold` is the oldest time still kept
 * (now − `maxDisconnectionDuration`): older sessions and packets may be
 * dropped whenever the log likes, and must not be returned.
 */
export interface RecoveryLog {
  /** Keeps a broadcast, in offset order. */
  append(packet: LoggedPacket, threshold: number): void;
  /** Keeps the session of a socket that disconnected (replacing one with the same pid). */
  persist(session: LoggedSession, threshold: number): void;
  /**
   * Finds the session of `pid` and the packets after `offset`, and forgets the
   * session; `null` (the session kept) when either is unknown or expired.
   */
  restore(
    pid: PrivateSessionId,
    offset: string,
    threshold: number,
  ): Promise<RestoredLog | null>;
}

/**
 * A sortable offset, the one format of every log: the time (ms, base 36,
 * fixed width), then a per-adapter counter. Later offsets sort after earlier
 * ones, so a log kept in a sorted store can list "everything after" directly.
 */
export function makeOffset(time: number, counter: number): string {
  return Math.max(0, Math.floor(time)).toString(36).padStart(9, "0") + "-" +
    counter.toString(36).padStart(6, "0");
}

/** Whether `offset` has the shape {@link makeOffset} writes (anything else is refused early). */
export function isOffset(offset: string): boolean {
  return /^[0-9a-z]{9}-[0-9a-z]{6,}$/.test(offset);
}

/** Whether a broadcast logged as `packet` would have reached a socket in `rooms`. */
export function reaches(rooms: readonly Room[], packet: LoggedPacket): boolean {
  const included = packet.rooms.length === 0 || rooms.some((room) => packet.rooms.includes(room));
  const excluded = packet.except.length > 0 && rooms.some((room) => packet.except.includes(room));
  return included && !excluded;
}

/** The default log: everything in memory, expired lazily (the log owns no timer). */
export class MemoryRecoveryLog implements RecoveryLog {
  #sessions = new Map<PrivateSessionId, LoggedSession>();
  #packets: LoggedPacket[] = [];

  append(packet: LoggedPacket, threshold: number): void {
    this.#expire(threshold);
    this.#packets.push(packet);
  }

  persist(session: LoggedSession, threshold: number): void {
    this.#expire(threshold);
    this.#sessions.delete(session.pid); // re-inserted last, keeping the order by time
    this.#sessions.set(session.pid, session);
  }

  restore(pid: PrivateSessionId, offset: string, threshold: number): Promise<RestoredLog | null> {
    this.#expire(threshold);
    const session = this.#sessions.get(pid);
    if (!session) return Promise.resolve(null);
    const index = this.#packets.findIndex((p) => p.offset === offset);
    // the offset may be too old (or forged): the client gets a fresh session
    if (index === -1) return Promise.resolve(null);
    this.#sessions.delete(pid);
    return Promise.resolve({ session, packets: this.#packets.slice(index + 1) });
  }

  #expire(threshold: number): void {
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
