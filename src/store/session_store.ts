/**
 * The session store port. An Engine.IO session is an actor: one address (the
 * sid), one owner, and every request for that sid routed to it. A store maps
 * sids to their live sessions. In one process the default keeps them in a
 * `Map`; on Cloudflare the Worker routes by sid to a Durable Object that holds
 * its own in-memory store.
 *
 * @module
 */

/** Where live sessions are found by sid. */
export interface SessionStore<Session> {
  /** The session with this sid, if it is live here. */
  get(sid: string): Session | undefined;
  /** Registers a new session. */
  set(sid: string, session: Session): void;
  /** Forgets a session; returns whether it was known. */
  delete(sid: string): boolean;
  /** How many sessions are live. */
  readonly size: number;
  /** Every live session. */
  values(): IterableIterator<Session>;
}

/**
 * The default store: sessions in a `Map`, for one process.
 *
 * @example
 * ```ts
 * import { MemorySessionStore } from "./session_store.ts";
 * const store = new MemorySessionStore<string>();
 * store.set("abc", "session");
 * if (store.get("abc") !== "session" || store.size !== 1) throw new Error();
 * ```
 */
export class MemorySessionStore<Session> implements SessionStore<Session> {
  #sessions = new Map<string, Session>();

  get(sid: string): Session | undefined {
    return this.#sessions.get(sid);
  }

  set(sid: string, session: Session): void {
    this.#sessions.set(sid, session);
  }

  delete(sid: string): boolean {
    return this.#sessions.delete(sid);
  }

  get size(): number {
    return this.#sessions.size;
  }

  values(): IterableIterator<Session> {
    return this.#sessions.values();
  }
}
