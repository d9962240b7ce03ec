/**
 * Broadcasting: a chainable, immutable selection of sockets (`to`, `in`,
 * `except`, flags) that emits to them or acts on them, and the
 * `RemoteSocket` that `fetchSockets()` describes sockets with.
 *
 * @module
 */

import { type Packet, PacketType } from "../parser/socket_packet.ts";
import type {
  Adapter,
  AdapterSocket,
  BroadcastFlags,
  Room,
  SocketDetails,
  SocketId,
} from "../adapter/adapter.ts";
import { broadcastWithAcks } from "./_acks.ts";
import type { Handshake } from "./_handshake.ts";
import { assertNotReserved } from "./socket_types.ts";
import type {
  AllButLast,
  DecorateAcknowledgements,
  DecorateAcknowledgementsWithMultipleResponses,
  DecorateAcknowledgementsWithTimeoutAndMultipleResponses,
  EventNames,
  EventNamesWithAck,
  EventNamesWithError,
  EventNamesWithoutAck,
  EventParams,
  EventsMap,
  FirstNonErrorArg,
  Last,
  TypedEventBroadcaster,
} from "./typed_events.ts";

type OperatorFlags = BroadcastFlags & { expectSingleResponse?: boolean };

type Multi<E extends EventsMap, D> = BroadcastOperator<
  DecorateAcknowledgementsWithMultipleResponses<E>,
  D
>;

/**
 * What a namespace offers for reaching its sockets and the other servers, and
 * the server for its main namespace: `Namespace` and `Server` implement it.
 */
export interface Broadcaster<
  EmitEvents extends EventsMap,
  ServerSideEvents extends EventsMap,
  SocketData,
> {
  /** A broadcast to `room` (or rooms). */
  to(room: Room | Room[]): Multi<EmitEvents, SocketData>;
  /** Alias of `to`. */
  in(room: Room | Room[]): Multi<EmitEvents, SocketData>;
  /** A broadcast to every socket but those in `room` (or rooms). */
  except(room: Room | Room[]): Multi<EmitEvents, SocketData>;
  /** A broadcast with the compress flag set. */
  compress(compress: boolean): Multi<EmitEvents, SocketData>;
  /** A broadcast whose packets may be dropped for busy clients. */
  readonly volatile: Multi<EmitEvents, SocketData>;
  /** A broadcast to this server's sockets only. */
  readonly local: Multi<EmitEvents, SocketData>;
  /** A broadcast whose ack callback gets an error after `timeout` ms. */
  timeout(
    timeout: number,
  ): BroadcastOperator<
    DecorateAcknowledgements<DecorateAcknowledgementsWithMultipleResponses<EmitEvents>>,
    SocketData
  >;
  /** Emits to every socket. */
  emit<Ev extends EventNamesWithoutAck<EmitEvents>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean;
  /** Sends a `message` event to every socket. */
  send(...args: EventParams<EmitEvents, "message">): this;
  /** Alias of `send`. */
  write(...args: EventParams<EmitEvents, "message">): this;
  /** Sends an event to the other servers (none on a single server; an ack gets `(null, [])`). */
  serverSideEmit<Ev extends EventNames<ServerSideEvents>>(
    ev: Ev,
    ...args: EventParams<
      DecorateAcknowledgementsWithTimeoutAndMultipleResponses<ServerSideEvents>,
      Ev
    >
  ): boolean;
  /** Like `serverSideEmit`, resolving with one response per other server. */
  serverSideEmitWithAck<Ev extends EventNamesWithAck<ServerSideEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<ServerSideEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<ServerSideEvents, Ev>>>[]>;
  /** The ids of every socket. @deprecated use `fetchSockets` */
  allSockets(): Promise<Set<SocketId>>;
  /** Every socket. */
  fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]>;
  /** Makes every socket join `room` (or rooms). */
  socketsJoin(room: Room | Room[]): void;
  /** Makes every socket leave `room` (or rooms). */
  socketsLeave(room: Room | Room[]): void;
  /** Disconnects every socket (closing the connections when `close`). */
  disconnectSockets(close?: boolean): void;
}

/**
 * A selection of sockets to emit to: every socket in any of the `to()` rooms
 * (all sockets without any) and in none of the `except()` rooms. Each method
 * returns a new operator; the original is unchanged.
 *
 * @example
 * ```ts ignore
 * io.to("room1").except("room2").volatile.emit("hello");
 * const responses = await io.timeout(1000).emitWithAck("ping");
 * ```
 */
export class BroadcastOperator<EmitEvents extends EventsMap, SocketData>
  implements TypedEventBroadcaster<EmitEvents> {
  #adapter: Adapter;
  #rooms: Set<Room>;
  #except: Set<Room>;
  #flags: OperatorFlags;

  /** Made by `io.to()`, `nsp.except()`, `socket.broadcast` and the like. */
  constructor(
    adapter: Adapter,
    rooms: Set<Room> = new Set(),
    exceptRooms: Set<Room> = new Set(),
    flags: OperatorFlags = {},
  ) {
    this.#adapter = adapter;
    this.#rooms = rooms;
    this.#except = exceptRooms;
    this.#flags = flags;
  }

  #with<E extends EventsMap = EmitEvents>(
    rooms: Set<Room>,
    except: Set<Room>,
    flags: OperatorFlags,
  ): BroadcastOperator<E, SocketData> {
    return new BroadcastOperator<E, SocketData>(this.#adapter, rooms, except, flags);
  }

  /** Targets `room` (or rooms) too; a socket in several of them gets one packet. */
  to(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(addRooms(this.#rooms, room), this.#except, this.#flags);
  }

  /** Alias of {@link BroadcastOperator.to}. */
  in(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.to(room);
  }

  /** Leaves out the sockets in `room` (or rooms). */
  except(room: Room | Room[]): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(this.#rooms, addRooms(this.#except, room), this.#flags);
  }

  /** Sets whether the packets may be compressed. */
  compress(compress: boolean): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(this.#rooms, this.#except, { ...this.#flags, compress });
  }

  /** The packets may be dropped for clients that cannot take them right now. */
  get volatile(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(this.#rooms, this.#except, { ...this.#flags, volatile: true });
  }

  /** Only this server's sockets. */
  get local(): BroadcastOperator<EmitEvents, SocketData> {
    return this.#with(this.#rooms, this.#except, { ...this.#flags, local: true });
  }

  /** Gives the ack callback `(err, responses)` with an error after `timeout` ms. */
  timeout(timeout: number): BroadcastOperator<DecorateAcknowledgements<EmitEvents>, SocketData> {
    return this.#with(this.#rooms, this.#except, { ...this.#flags, timeout });
  }

  get #opts() {
    return { rooms: this.#rooms, except: this.#except, flags: this.#flags };
  }

  /**
   * Emits to every selected socket, encoding the packet once. A trailing
   * callback gets `(err, responses)`: one response per client.
   */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    assertNotReserved(ev);
    const data: unknown[] = [ev, ...args];
    const packet: Packet = { type: PacketType.EVENT, nsp: "/", data };
    const last = data[data.length - 1];
    if (typeof last !== "function") {
      this.#adapter.broadcast(packet, this.#opts);
      return true;
    }
    data.pop();
    const clock = this.#adapter.nsp._adapterContext.clock;
    broadcastWithAcks({
      adapter: this.#adapter,
      packet,
      opts: this.#opts,
      clock,
      timeout: this.#flags.timeout,
      expectSingleResponse: this.#flags.expectSingleResponse === true,
      ack: last as (err: Error | null, responses: unknown) => void,
    });
    return true;
  }

  /** Emits and resolves with every client's response; rejects after the timeout. */
  emitWithAck<Ev extends EventNamesWithError<EmitEvents>>(
    ev: Ev,
    ...args: AllButLast<EventParams<EmitEvents, Ev>>
  ): Promise<FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>> {
    return new Promise((resolve, reject) => {
      (args as unknown[]).push(
        (err: (Error & { responses?: unknown }) | null, responses: unknown) => {
          if (err) {
            err.responses = responses;
            return reject(err);
          }
          resolve(responses as FirstNonErrorArg<Last<EventParams<EmitEvents, Ev>>>);
        },
      );
      this.emit(ev, ...(args as unknown as EventParams<EmitEvents, Ev>));
    });
  }

  /** The ids of the selected sockets. @deprecated use {@link BroadcastOperator.fetchSockets} */
  allSockets(): Promise<Set<SocketId>> {
    return this.#adapter.sockets(this.#rooms);
  }

  /** The selected sockets: local ones as they are, others as {@link RemoteSocket}. */
  async fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    const found = await this.#adapter.fetchSockets(this.#opts);
    return found.map((socket) =>
      isLocal(socket)
        ? socket as unknown as RemoteSocket<EmitEvents, SocketData>
        : new RemoteSocket<EmitEvents, SocketData>(this.#adapter, socket)
    );
  }

  /** Makes the selected sockets join `room` (or rooms). */
  socketsJoin(room: Room | Room[]): void {
    this.#adapter.addSockets(this.#opts, Array.isArray(room) ? room : [room]);
  }

  /** Makes the selected sockets leave `room` (or rooms). */
  socketsLeave(room: Room | Room[]): void {
    this.#adapter.delSockets(this.#opts, Array.isArray(room) ? room : [room]);
  }

  /** Disconnects the selected sockets (and closes their connections when `close`). */
  disconnectSockets(close = false): void {
    this.#adapter.disconnectSockets(this.#opts, close);
  }
}

/**
 * A socket as `fetchSockets()` returns it: its id, handshake, rooms and data,
 * and the operations that work wherever it lives.
 */
export class RemoteSocket<EmitEvents extends EventsMap, SocketData>
  implements TypedEventBroadcaster<EmitEvents> {
  /** The socket id. */
  readonly id: SocketId;
  /** The handshake details. */
  readonly handshake: Handshake;
  /** The rooms the socket was in. */
  readonly rooms: Set<Room>;
  /** `socket.data`. */
  readonly data: SocketData;
  #adapter: Adapter;
  #targets: BroadcastOperator<EmitEvents, SocketData> | undefined;

  /** Describes a socket of another server. */
  constructor(adapter: Adapter, details: SocketDetails) {
    this.id = details.id;
    this.handshake = details.handshake as Handshake;
    this.rooms = new Set(details.rooms);
    this.data = details.data as SocketData;
    this.#adapter = adapter;
  }

  /**
   * The operator aimed at this socket, made on first use: fetchSockets()
   * returns hundreds of these and most are only read.
   */
  get #operator(): BroadcastOperator<EmitEvents, SocketData> {
    // one response, not an array: remoteSocket.emit() with an ack behaves like socket.emit()
    return this.#targets ??= new BroadcastOperator(this.#adapter, new Set([this.id]), new Set(), {
      expectSingleResponse: true,
    });
  }

  /** Gives the next emit's ack callback an error after `timeout` ms. */
  timeout(timeout: number): BroadcastOperator<DecorateAcknowledgements<EmitEvents>, SocketData> {
    return this.#operator.timeout(timeout);
  }

  /** Emits to the socket. */
  emit<Ev extends EventNames<EmitEvents>>(ev: Ev, ...args: EventParams<EmitEvents, Ev>): boolean {
    return this.#operator.emit(ev, ...args);
  }

  /** Joins `room` (or rooms). */
  join(room: Room | Room[]): void {
    this.#operator.socketsJoin(room);
  }

  /** Leaves `room`. */
  leave(room: Room): void {
    this.#operator.socketsLeave(room);
  }

  /** Disconnects the socket (and its connection when `close`). */
  disconnect(close = false): this {
    this.#operator.disconnectSockets(close);
    return this;
  }
}

function addRooms(rooms: Set<Room>, room: Room | Room[]): Set<Room> {
  const next = new Set(rooms);
  if (Array.isArray(room)) { for (const r of room) next.add(r); }
  else next.add(room);
  return next;
}

function isLocal(socket: AdapterSocket | SocketDetails): socket is AdapterSocket {
  return typeof (socket as Partial<AdapterSocket>)._sendEncoded === "function";
}
