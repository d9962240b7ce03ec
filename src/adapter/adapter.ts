/**
 * The Socket.IO adapter: which socket is in which room, and the fan-out of a
 * broadcast to the matching sockets of one namespace. This is the in-memory
 * default; a cluster adapter would extend it and reach other servers.
 *
 * @module
 */

import { Emitter } from "../util/emitter.ts";
import type { Clock } from "../util/clock.ts";
import { encodePacket, type Packet } from "../parser/socket_packet.ts";
import type { PacketEncoder } from "../parser/parser.ts";
import { messageFrame, type PacketOptions } from "../parser/engine_packet.ts";
import { FanoutGroups, type NativeFanout } from "./_native_fanout.ts";

export type { NativeFanout, NativeFanoutHost } from "./_native_fanout.ts";

/** A socket's public id (not the Engine.IO session id). */
export type SocketId = string;
/** The private id a client presents to recover its session; never shared. */
export type PrivateSessionId = string;
/** A room name. */
export type Room = string;

/** Modifiers of a broadcast. */
export interface BroadcastFlags {
  /** The packet may be dropped for a client that cannot take it right now. */
  volatile?: boolean;
  /** Whether the packet may be compressed. */
  compress?: boolean;
  /** Only this server's sockets (a no-op for a single server). */
  local?: boolean;
  /** Informational: this is a broadcast. */
  broadcast?: boolean;
  /** Milliseconds to wait for every acknowledgement. */
  timeout?: number;
}

/** Who a broadcast reaches: sockets in any of `rooms` (all when empty) but in none of `except`. */
export interface BroadcastOptions {
  /** Target rooms; an empty set means every socket of the namespace. */
  rooms: Set<Room>;
  /** Rooms whose sockets are left out. */
  except?: Set<Room>;
  /** Modifiers. */
  flags?: BroadcastFlags;
}

/**
 * A packet encoded once, as its Engine.IO messages: with the built-in parser
 * the text part and its binary attachments; a custom parser's own output.
 */
export type EncodedPacket = readonly (string | Uint8Array)[];

/**
 * How an encoded packet is handed to the engine: the codec's per-packet
 * options (`compress`, and the WebSocket frame `wsPreEncoded` shared by every
 * recipient), plus `volatile`, which the socket layer reads.
 */
export interface WriteOptions extends PacketOptions {
  /** Drop the packet if the transport cannot take it right now. */
  volatile?: boolean | undefined;
}

/** What the adapter needs from a socket of its namespace. */
export interface AdapterSocket {
  /** The socket id. */
  readonly id: SocketId;
  /** Joins rooms. */
  join(rooms: Room | Room[]): Promise<void> | void;
  /** Leaves a room. */
  leave(room: Room): Promise<void> | void;
  /** Disconnects the socket (and its connection when `close`). */
  disconnect(close?: boolean): unknown;
  /** Internal: writes a packet the adapter already encoded. */
  _sendEncoded(packet: Packet, encoded: EncodedPacket, opts: WriteOptions): void;
  /** Internal: waits for the client's ACK `id`, calling `fn` with its arguments. */
  _expectAck(id: number, fn: (...args: unknown[]) => void): void;
  /** Internal: stops waiting for ACK `id`. */
  _forgetAck(id: number): void;
  /**
   * Internal: the socket's WebSocket, for the runtime's native fan-out, while
   * a frame written past the socket reaches the client in order and needs
   * nothing else from it (connected, no outgoing listeners, nothing buffered,
   * no one watching the session's packets); otherwise undefined.
   */
  _fanoutTarget?(): unknown;
}

/** What the adapter needs from its namespace. */
export interface AdapterNamespace {
  /** The namespace name, such as "/" or "/chat". */
  readonly name: string;
  /** The connected sockets of the namespace, by id. */
  readonly sockets: ReadonlyMap<SocketId, AdapterSocket>;
  /** Internal: the server's clock and settings, and the namespace's ack ids. */
  readonly _adapterContext: AdapterContext;
}

/** Server settings an adapter may need. */
export interface AdapterContext {
  /** The clock for timestamps and timers. */
  readonly clock: Clock;
  /** How long a disconnected session stays recoverable (ms). */
  readonly maxDisconnectionDuration: number;
  /** The server's encoder when it has a custom parser (the built-in JSON codec otherwise). */
  readonly encoder?: PacketEncoder | undefined;
  /** A new ack id, unique within the namespace. */
  nextAckId(): number;
  /** The runtime's native fan-out (Bun's pub/sub), once the glue installed one. */
  readonly fanout?: NativeFanout | undefined;
}

/** The state kept for a disconnected socket so its client can recover it. */
export interface SessionToPersist {
  /** The socket id, reused on recovery. */
  sid: SocketId;
  /** The private session id. */
  pid: PrivateSessionId;
  /** The rooms the socket was in. */
  rooms: Room[];
  /** `socket.data`. */
  data: unknown;
}

/** A restored session with the event arguments the client missed. */
export type Session = SessionToPersist & { missedPackets: unknown[][] };

/** A socket as another server describes it (used by cluster adapters). */
export interface SocketDetails {
  /** The socket id. */
  id: SocketId;
  /** The handshake details. */
  handshake: unknown;
  /** The rooms the socket is in. */
  rooms: Room[];
  /** `socket.data`. */
  data: unknown;
}

/** Events of an adapter. */
export type AdapterEvents = {
  /** The first socket joined `room`. */
  "create-room": (room: Room) => void;
  /** The last socket left `room`. */
  "delete-room": (room: Room) => void;
  /** Socket `id` joined `room`. */
  "join-room": (room: Room, id: SocketId) => void;
  /** Socket `id` left `room`. */
  "leave-room": (room: Room, id: SocketId) => void;
};

/** A way to make the adapter of a namespace: a subclass of {@link Adapter}, or a factory. */
export type AdapterConstructor =
  | (new (nsp: AdapterNamespace) => Adapter)
  | ((nsp: AdapterNamespace) => Adapter);

/**
 * The in-memory adapter, following the official contract: `rooms`, `sids`,
 * `addAll`, `del`, `delAll`, `broadcast`, `broadcastWithAck`, `sockets`,
 * `socketRooms`, `fetchSockets`, `addSockets`, `delSockets`,
 * `disconnectSockets`, `serverSideEmit`, `persistSession`, `restoreSession`,
 * `serverCount`.
 *
 * @example
 * ```ts ignore
 * class LoggingAdapter extends Adapter {
 *   override broadcast(packet: Packet, opts: BroadcastOptions) {
 *     console.log("broadcast", packet.data);
 *     super.broadcast(packet, opts);
 *   }
 * }
 * const io = new Server({ adapter: LoggingAdapter });
 * ```
 */
export class Adapter extends Emitter<AdapterEvents> {
  /** Room → socket ids. */
  readonly rooms: Map<Room, Set<SocketId>> = new Map();
  /** Socket id → rooms. */
  readonly sids: Map<SocketId, Set<Room>> = new Map();
  #groups = new FanoutGroups();

  /** Makes the adapter of `nsp`. */
  constructor(readonly nsp: AdapterNamespace) {
    super();
  }

  /** Called once after construction; for adapters that connect somewhere. */
  init(): Promise<void> | void {}

  /** Called when the server closes. */
  close(): Promise<void> | void {}

  /** How many servers share this namespace: always 1 in memory. */
  serverCount(): Promise<number> {
    return Promise.resolve(1);
  }

  /** Adds socket `id` to `rooms`. */
  addAll(id: SocketId, rooms: Set<Room>): Promise<void> | void {
    let joined = this.sids.get(id);
    if (!joined) this.sids.set(id, joined = new Set());
    for (const room of rooms) {
      joined.add(room);
      let members = this.rooms.get(room);
      if (!members) {
        this.rooms.set(room, members = new Set());
        this.emit("create-room", room);
      }
      if (!members.has(id)) {
        members.add(id);
        this.emit("join-room", room, id);
      }
    }
  }

  /** Removes socket `id` from `room`. */
  del(id: SocketId, room: Room): Promise<void> | void {
    this.sids.get(id)?.delete(room);
    this.#removeFromRoom(room, id);
    this.#groups.leave(id, "r" + room);
  }

  /** Removes socket `id` from every room. */
  delAll(id: SocketId): void {
    const joined = this.sids.get(id);
    if (!joined) return;
    for (const room of joined) this.#removeFromRoom(room, id);
    this.sids.delete(id);
    this.#groups.leaveAll(id);
  }

  #removeFromRoom(room: Room, id: SocketId): void {
    const members = this.rooms.get(room);
    if (!members) return;
    if (members.delete(id)) this.emit("leave-room", room, id);
    if (members.size === 0 && this.rooms.delete(room)) this.emit("delete-room", room);
  }

  /** Sends `packet` to every matching socket; it is encoded once for all of them. */
  broadcast(packet: Packet, opts: BroadcastOptions): void {
    const flags = opts.flags ?? {};
    const out: Packet = { ...packet, nsp: this.nsp.name };
    const { encoded, writeOptions } = this.#encode(out, flags);
    const send = (socket: AdapterSocket) => socket._sendEncoded(out, encoded, writeOptions);
    if (!this.#publish(opts, writeOptions, send)) this.#apply(opts, send);
  }

  /**
   * Broadcasts to one room (or the whole namespace) of at least two sockets
   * through the runtime's native fan-out, where there is one; `false` when the
   * broadcast does not qualify (no fan-out, volatile, binary, several rooms).
   */
  #publish(
    opts: BroadcastOptions,
    writeOptions: WriteOptions,
    send: (socket: AdapterSocket) => void,
  ): boolean {
    const fanout = this.nsp._adapterContext.fanout;
    const frame = writeOptions.wsPreEncoded;
    if (fanout === undefined || frame === undefined) return false;
    if (writeOptions.volatile || opts.rooms.size > 1) return false;
    const [room] = opts.rooms;
    const members = room === undefined ? this.sids : this.rooms.get(room);
    if (!members || members.size < 2) return false;
    this.#groups.fanOut(fanout, {
      key: room === undefined ? "*" : "r" + room,
      members: members.keys(),
      sockets: this.nsp.sockets,
      except: this.#exceptIds(opts.except),
      frame,
      send,
    });
    return true;
  }

  /**
   * Sends `packet` expecting an ACK from each matching socket:
   * `clientCountCallback` gets how many were reached, `ack` each response.
   */
  broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    const flags = opts.flags ?? {};
    // one id for every recipient: ids come from the namespace's counter, so no socket has it pending;
    // stamped on the caller's packet too, so it can call removeAcks() after a timeout
    const id = this.nsp._adapterContext.nextAckId();
    packet.id = id;
    const out: Packet = { ...packet, nsp: this.nsp.name };
    const { encoded, writeOptions } = this.#encode(out, flags);
    let clientCount = 0;
    this.#apply(opts, (socket) => {
      clientCount++;
      socket._expectAck(id, ack);
      socket._sendEncoded(out, encoded, writeOptions);
    });
    clientCountCallback(clientCount);
  }

  /** Forgets the pending ACK `id` of the matching sockets (after a broadcast timed out). */
  removeAcks(id: number, opts: BroadcastOptions): void {
    this.#apply(opts, (socket) => socket._forgetAck(id));
  }

  #encode(
    packet: Packet,
    flags: BroadcastFlags,
  ): { encoded: EncodedPacket; writeOptions: WriteOptions } {
    const encoder = this.nsp._adapterContext.encoder;
    const encoded = encoder ? encoder.encode(packet) : encodePacket(packet);
    const writeOptions: WriteOptions = { volatile: flags.volatile, compress: flags.compress };
    // the WebSocket frame is built once for every recipient (a binary one is the bytes themselves)
    const [first] = encoded;
    if (encoded.length === 1 && typeof first === "string") {
      writeOptions.wsPreEncoded = messageFrame(first);
    }
    return { encoded, writeOptions };
  }

  /** The ids of the sockets in any of `rooms` (every socket when empty). */
  sockets(rooms: Set<Room>): Promise<Set<SocketId>> {
    const ids = new Set<SocketId>();
    this.#apply({ rooms }, (socket) => ids.add(socket.id));
    return Promise.resolve(ids);
  }

  /** The rooms socket `id` is in. */
  socketRooms(id: SocketId): Set<Room> | undefined {
    return this.sids.get(id);
  }

  /** The matching sockets. */
  fetchSockets(opts: BroadcastOptions): Promise<(AdapterSocket | SocketDetails)[]> {
    const found: AdapterSocket[] = [];
    this.#apply(opts, (socket) => found.push(socket));
    return Promise.resolve(found);
  }

  /** Makes the matching sockets join `rooms`. */
  addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    this.#apply(opts, (socket) => void socket.join(rooms));
  }

  /** Makes the matching sockets leave `rooms`. */
  delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    this.#apply(opts, (socket) => {
      for (const room of rooms) void socket.leave(room);
    });
  }

  /** Disconnects the matching sockets (closing their connections when `close`). */
  disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    this.#apply(opts, (socket) => socket.disconnect(close));
  }

  /**
   * Sends `[event, ...args, ack?]` to the other servers. A single server has
   * none: nothing is delivered, and an ack gets `(null, [])` (no responses).
   */
  serverSideEmit(packet: unknown[]): void {
    const ack = packet[packet.length - 1];
    if (typeof ack === "function") queueMicrotask(() => ack(null, []));
  }

  /** Keeps a disconnected socket's state; the in-memory adapter does not recover sessions. */
  persistSession(_session: SessionToPersist): Promise<void> | void {}

  /** The session of `pid` with the packets missed after `offset`, or null. */
  restoreSession(_pid: PrivateSessionId, _offset: string): Promise<Session | null> {
    return Promise.resolve(null);
  }

  #apply(
    opts: Pick<BroadcastOptions, "rooms" | "except">,
    fn: (socket: AdapterSocket) => void,
  ): void {
    // live iteration is safe: a Set or Map skips what a callback deletes (a disconnect)
    const except = this.#exceptIds(opts.except);
    const sockets = this.nsp.sockets;
    if (opts.rooms.size === 0) {
      for (const id of this.sids.keys()) {
        if (except?.has(id)) continue;
        const socket = sockets.get(id);
        if (socket) fn(socket);
      }
      return;
    }
    // a socket in several target rooms is reached once
    const seen = opts.rooms.size > 1 ? new Set<SocketId>() : undefined;
    for (const room of opts.rooms) {
      const members = this.rooms.get(room);
      if (!members) continue;
      for (const id of members) {
        if (seen?.has(id) || except?.has(id)) continue;
        const socket = sockets.get(id);
        if (!socket) continue;
        seen?.add(id);
        fn(socket);
      }
    }
  }

  #exceptIds(rooms: Set<Room> | undefined): Set<SocketId> | undefined {
    if (!rooms?.size) return undefined;
    const ids = new Set<SocketId>();
    for (const room of rooms) {
      for (const id of this.rooms.get(room) ?? []) ids.add(id);
    }
    return ids;
  }
}
