/**
 * Broadcasts through a runtime's native topic fan-out (Bun's pub/sub): the
 * members of a room whose WebSocket offers topics are subscribed to one topic
 * for that room, and a broadcast publishes its frame once for all of them;
 * the other members (polling, other hubs, outgoing listeners) get it one by
 * one as before.
 *
 * @module
 */

/** A socket id (the adapter's `SocketId`; not imported, so this file stays a leaf). */
type SocketId = string;

/** A runtime's fan-out to the WebSockets of one server (the engine's `TopicHub`). */
export interface AdapterTopicHub {
  /** Writes one text frame to every WebSocket of the hub subscribed to `topic`. */
  publish(topic: string, data: string): void;
}

/** The topics of one socket's WebSocket (the engine's `WebSocketTopics`). */
export interface AdapterTopics {
  /** Where `publish` goes; the same object for every socket of one server. */
  readonly hub: AdapterTopicHub;
  /** Subscribes the WebSocket to `topic`. */
  subscribe(topic: string): void;
  /** Unsubscribes the WebSocket from `topic`. */
  unsubscribe(topic: string): void;
}

/** What the fan-out needs of a socket. */
export interface TopicMember {
  /** The socket's topics while a published frame would reach it in order; else undefined. */
  _topics?(): AdapterTopics | undefined;
}

interface _Subscription {
  readonly topics: AdapterTopics;
  /** Group keys ("r" + room, or "*" for the whole namespace). */
  readonly keys: string[];
}

let _instances = 0;

/** One adapter's topic subscriptions. */
export class TopicFanout {
  /** Bun's topics are server-wide: every adapter has its own names. */
  readonly #prefix = `sio-edge:${_instances++}:`;
  readonly #subs = new Map<SocketId, _Subscription>();

  /**
   * Delivers `frame` to `members` (minus `except`): subscribed members get one
   * publish, members that can subscribe are subscribed first, and `send`
   * reaches every other one.
   */
  fanOut<S extends TopicMember>(
    key: string,
    members: Iterable<SocketId>,
    sockets: ReadonlyMap<SocketId, S>,
    except: Set<SocketId> | undefined,
    frame: string,
    send: (socket: S) => void,
  ): void {
    let hub: AdapterTopicHub | undefined;
    let paused: AdapterTopics[] | undefined;
    for (const id of members) {
      const socket = sockets.get(id);
      if (!socket) continue;
      if (except?.has(id)) {
        // left out: off the topic for the one publish, back on right after
        const sub = this.#subs.get(id);
        if (sub?.keys.includes(key)) {
          sub.topics.unsubscribe(this.#prefix + key);
          (paused ??= []).push(sub.topics);
        }
        continue;
      }
      const topics = socket._topics?.();
      if (topics !== undefined && (hub === undefined || topics.hub === hub)) {
        this.#subscribe(id, topics, key);
        hub = topics.hub;
        continue;
      }
      // no topics now (polling, closing, outgoing listeners) or another hub
      if (this.#subs.size) this.leaveAll(id);
      send(socket);
    }
    const topic = this.#prefix + key;
    hub?.publish(topic, frame);
    if (paused) { for (const topics of paused) topics.subscribe(topic); }
  }

  #subscribe(id: SocketId, topics: AdapterTopics, key: string): void {
    let sub = this.#subs.get(id);
    if (sub && sub.topics !== topics) {
      // the socket's WebSocket changed: what it had subscribed is gone with the old one
      this.leaveAll(id);
      sub = undefined;
    }
    if (!sub) this.#subs.set(id, sub = { topics, keys: [] });
    if (sub.keys.includes(key)) return;
    topics.subscribe(this.#prefix + key);
    sub.keys.push(key);
  }

  /** Unsubscribes socket `id` from group `key` (it left the room). */
  leave(id: SocketId, key: string): void {
    const sub = this.#subs.get(id);
    const i = sub ? sub.keys.indexOf(key) : -1;
    if (!sub || i === -1) return;
    sub.keys.splice(i, 1);
    _quietly(() => sub.topics.unsubscribe(this.#prefix + key));
    if (!sub.keys.length) this.#subs.delete(id);
  }

  /** Unsubscribes socket `id` from every group. */
  leaveAll(id: SocketId): void {
    const sub = this.#subs.get(id);
    if (!sub) return;
    this.#subs.delete(id);
    for (const key of sub.keys) _quietly(() => sub.topics.unsubscribe(this.#prefix + key));
  }
}

function _quietly(fn: () => void): void {
  try {
    fn();
  } catch {
    // a socket closed by the runtime has no subscriptions left to remove
  }
}
