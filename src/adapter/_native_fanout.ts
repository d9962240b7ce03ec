/**
 * Broadcasts through a runtime's native fan-out (Bun's pub/sub, installed by
 * `sio-edge/bun`): the members of a room whose connection the fan-out accepts
 * are subscribed to one group for that room, and a broadcast writes its frame
 * once for all of them; every other member (polling, another listener's
 * socket, outgoing listeners, packets still buffered) gets it one by one as
 * before.
 *
 * @module
 */

/** A socket id (the adapter's `SocketId`; not imported, so this file stays a leaf). */
type SocketId = string;

/**
 * A runtime's native fan-out to the WebSockets of one listener: one
 * `publish` writes a text frame to every WebSocket subscribed to a group,
 * after what each of them was sent before. The runtime glue makes one per
 * listener and hands it to the server once (`Server.useNativeFanout`); the
 * server gives it to every adapter. `T` is the runtime's own WebSocket.
 */
export interface NativeFanout<T = unknown> {
  /**
   * Whether `ws`, a socket's WebSocket as the engine holds it, is one of this
   * fan-out's own and open, so it may be subscribed.
   */
  accepts(ws: unknown): ws is T;
  /** Subscribes `ws` to `group`. */
  subscribe(ws: T, group: string): void;
  /** Unsubscribes `ws` from `group`; never throws (a closed socket has nothing left to remove). */
  unsubscribe(ws: T, group: string): void;
  /** Writes `frame` (a text WebSocket frame's payload) to every WebSocket subscribed to `group`. */
  publish(group: string, frame: string): void;
}

/** What hands a native fan-out down to its adapters: the Socket.IO `Server`. */
export interface NativeFanoutHost {
  /** Installs `fanout` for every namespace; the first one stays. */
  useNativeFanout(fanout: NativeFanout): void;
}

/** What the fan-out needs of a socket. */
export interface FanoutMember {
  /**
   * The socket's WebSocket while a frame written past the socket would reach
   * its client in order and needs nothing else from it; else undefined.
   */
  _fanoutTarget?(): unknown;
}

/** One broadcast to one group: who, what, and how to reach a member one by one. */
export interface GroupDelivery<S extends FanoutMember> {
  /** The group key ("r" + room, or "*" for the whole namespace). */
  readonly key: string;
  /** The group's members. */
  readonly members: Iterable<SocketId>;
  /** The namespace's sockets, by id. */
  readonly sockets: ReadonlyMap<SocketId, S>;
  /** Members left out. */
  readonly except: ReadonlySet<SocketId> | undefined;
  /** The WebSocket frame every member gets. */
  readonly frame: string;
  /** Reaches one member the fan-out cannot. */
  readonly send: (socket: S) => void;
}

interface Subscription {
  /** The WebSocket subscribed, and the fan-out it was subscribed on. */
  readonly target: unknown;
  readonly fanout: NativeFanout;
  /** Group keys. */
  readonly keys: string[];
}

let instances = 0;

/** One adapter's groups on a native fan-out. */
export class FanoutGroups {
  /** A fan-out's groups are listener-wide: every adapter has its own names. */
  readonly #prefix = `sio-edge:${instances++}:`;
  readonly #subs = new Map<SocketId, Subscription>();

  /**
   * Delivers the frame to the group's members (minus `except`): members the
   * fan-out accepts get one publish, subscribed first if they were not, and
   * `send` reaches every other one.
   */
  fanOut<S extends FanoutMember>(fanout: NativeFanout, d: GroupDelivery<S>): void {
    const group = this.#prefix + d.key;
    let published = false;
    let paused: Subscription[] | undefined;
    for (const id of d.members) {
      const socket = d.sockets.get(id);
      if (!socket) continue;
      if (d.except?.has(id)) {
        // left out: off the group for the one publish, back on right after
        const sub = this.#subs.get(id);
        if (sub?.keys.includes(d.key)) {
          sub.fanout.unsubscribe(sub.target, group);
          (paused ??= []).push(sub);
        }
        continue;
      }
      const target = socket._fanoutTarget?.();
      if (target !== undefined && fanout.accepts(target)) {
        this.#subscribe(id, fanout, target, d.key);
        published = true;
        continue;
      }
      // not now (polling, closing, outgoing listeners, buffered packets) or another listener's
      if (this.#subs.size) this.leaveAll(id);
      d.send(socket);
    }
    if (published) fanout.publish(group, d.frame);
    if (paused) { for (const sub of paused) sub.fanout.subscribe(sub.target, group); }
  }

  #subscribe(id: SocketId, fanout: NativeFanout, target: unknown, key: string): void {
    let sub = this.#subs.get(id);
    if (sub && (sub.target !== target || sub.fanout !== fanout)) {
      // the socket's WebSocket changed: what it had subscribed is gone with the old one
      this.leaveAll(id);
      sub = undefined;
    }
    if (!sub) this.#subs.set(id, sub = { target, fanout, keys: [] });
    if (sub.keys.includes(key)) return;
    fanout.subscribe(target, this.#prefix + key);
    sub.keys.push(key);
  }

  /** Unsubscribes socket `id` from group `key` (it left the room). */
  leave(id: SocketId, key: string): void {
    const sub = this.#subs.get(id);
    const i = sub ? sub.keys.indexOf(key) : -1;
    if (!sub || i === -1) return;
    sub.keys.splice(i, 1);
    sub.fanout.unsubscribe(sub.target, this.#prefix + key);
    if (!sub.keys.length) this.#subs.delete(id);
  }

  /** Unsubscribes socket `id` from every group. */
  leaveAll(id: SocketId): void {
    const sub = this.#subs.get(id);
    if (!sub) return;
    this.#subs.delete(id);
    for (const key of sub.keys) sub.fanout.unsubscribe(sub.target, this.#prefix + key);
  }
}
