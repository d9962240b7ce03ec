/**
 * The Redis emitter: reaches every socket of a fleet that uses the classic
 * Redis adapter from a process that is not a Socket.IO server (a job, a
 * script), publishing exactly what `@socket.io/redis-emitter` 5 publishes.
 *
 * @module
 */

import { encode as msgpackEncode } from "../../parser/msgpack_codec.ts";
import { RESERVED_EVENTS } from "../../parser/socket_packet.ts";
import { createLogger } from "../../util/logger.ts";
import type { Room } from "../adapter.ts";
import { stringify } from "../cluster_wire.ts";
import { type RedisClient, type RedisPort, redisPort } from "./_client.ts";
import {
  broadcastChannel,
  type ClassicChannels,
  classicChannels,
  RequestType,
} from "./classic_wire.ts";

const log = createLogger("sio-edge:redis");
const UID = "emitter";

/** Options of {@link Emitter}. */
export interface EmitterOptions {
  /**
   * The channel prefix of the fleet's adapters.
   * @default "socket.io"
   */
  key?: string;
  /**
   * The codec of broadcasts; must be the fleet's.
   * @default the built-in msgpack codec (notepack.io's bytes)
   */
  parser?: { encode(value: unknown): Uint8Array | string };
}

interface Target {
  port: RedisPort;
  nsp: string;
  channels: ClassicChannels;
  encode(value: unknown): Uint8Array | string;
}

type Flags = { volatile?: boolean; compress?: boolean };

function publish(target: Target, channel: string, message: Uint8Array | string): void {
  target.port.publish(channel, message).catch((err) =>
    log("emitter: publishing to %s failed: %s", channel, err?.message)
  );
}

/**
 * Emits to the sockets of a whole fleet through Redis.
 *
 * @example
 * ```ts ignore
 * import { createClient } from "redis";
 * import { Emitter } from "sio-edge/redis";
 *
 * const client = createClient({ url: "redis://127.0.0.1:6379" });
 * await client.connect();
 * const emitter = new Emitter(client);
 * emitter.to("room1").emit("news", { at: Date.now() });
 * emitter.of("/admin").in("ops").socketsJoin("alerts");
 * ```
 */
export class Emitter {
  #client: RedisClient;
  #opts: EmitterOptions;
  #target: Target;

  /** An emitter for namespace `nsp` (default "/"). */
  constructor(redisClient: RedisClient, opts: EmitterOptions = {}, nsp = "/") {
    this.#client = redisClient;
    this.#opts = opts;
    const key = opts.key ?? "socket.io";
    this.#target = {
      port: redisPort(redisClient),
      nsp,
      channels: classicChannels(key, nsp),
      encode: opts.parser?.encode ?? msgpackEncode,
    };
  }

  #operator(): EmitterBroadcastOperator {
    return new EmitterBroadcastOperator(this.#target);
  }

  /** The emitter of another namespace ("/" is prepended when missing). */
  of(nsp: string): Emitter {
    return new Emitter(this.#client, this.#opts, (nsp.startsWith("/") ? "" : "/") + nsp);
  }

  /** Emits to every socket of the namespace. */
  emit(ev: string, ...args: unknown[]): true {
    return this.#operator().emit(ev, ...args);
  }

  /** Targets `room` (or rooms). */
  to(room: Room | Room[]): EmitterBroadcastOperator {
    return this.#operator().to(room);
  }

  /** Alias of {@link Emitter.to}. */
  in(room: Room | Room[]): EmitterBroadcastOperator {
    return this.#operator().to(room);
  }

  /** Leaves out the sockets in `room` (or rooms). */
  except(room: Room | Room[]): EmitterBroadcastOperator {
    return this.#operator().except(room);
  }

  /** The packets may be dropped for clients that cannot take them. */
  get volatile(): EmitterBroadcastOperator {
    return this.#operator().volatile;
  }

  /** Sets whether the packets may be compressed. */
  compress(compress: boolean): EmitterBroadcastOperator {
    return this.#operator().compress(compress);
  }

  /** Makes every socket join `rooms`. */
  socketsJoin(rooms: Room | Room[]): void {
    this.#operator().socketsJoin(rooms);
  }

  /** Makes every socket leave `rooms`. */
  socketsLeave(rooms: Room | Room[]): void {
    this.#operator().socketsLeave(rooms);
  }

  /** Disconnects every socket (closing the connections when `close`). */
  disconnectSockets(close = false): void {
    this.#operator().disconnectSockets(close);
  }

  /** Sends an event to every server of the fleet; acknowledgements are not supported. */
  serverSideEmit(ev: string, ...args: unknown[]): void {
    if (typeof args[args.length - 1] === "function") {
      throw new Error("Acknowledgements are not supported");
    }
    const request = stringify({
      uid: UID,
      type: RequestType.SERVER_SIDE_EMIT,
      data: [ev, ...args],
    });
    publish(this.#target, this.#target.channels.request, request);
  }
}

/** A selection of sockets for the {@link Emitter}; each method returns a new one. */
export class EmitterBroadcastOperator {
  #target: Target;
  #rooms: Set<Room>;
  #except: Set<Room>;
  #flags: Flags;

  /** Made by the {@link Emitter}. */
  constructor(
    target: Target,
    rooms: Set<Room> = new Set(),
    except: Set<Room> = new Set(),
    flags: Flags = {},
  ) {
    this.#target = target;
    this.#rooms = rooms;
    this.#except = except;
    this.#flags = flags;
  }

  /** Targets `room` (or rooms) too. */
  to(room: Room | Room[]): EmitterBroadcastOperator {
    const rooms = new Set(this.#rooms);
    for (const r of Array.isArray(room) ? room : [room]) rooms.add(r);
    return new EmitterBroadcastOperator(this.#target, rooms, this.#except, this.#flags);
  }

  /** Alias of {@link EmitterBroadcastOperator.to}. */
  in(room: Room | Room[]): EmitterBroadcastOperator {
    return this.to(room);
  }

  /** Leaves out the sockets in `room` (or rooms). */
  except(room: Room | Room[]): EmitterBroadcastOperator {
    const except = new Set(this.#except);
    for (const r of Array.isArray(room) ? room : [room]) except.add(r);
    return new EmitterBroadcastOperator(this.#target, this.#rooms, except, this.#flags);
  }

  /** Sets whether the packets may be compressed. */
  compress(compress: boolean): EmitterBroadcastOperator {
    const flags = { ...this.#flags, compress };
    return new EmitterBroadcastOperator(this.#target, this.#rooms, this.#except, flags);
  }

  /** The packets may be dropped for clients that cannot take them. */
  get volatile(): EmitterBroadcastOperator {
    const flags = { ...this.#flags, volatile: true };
    return new EmitterBroadcastOperator(this.#target, this.#rooms, this.#except, flags);
  }

  /** Emits to the selected sockets of every server. Reserved names throw. */
  emit(ev: string, ...args: unknown[]): true {
    if (RESERVED_EVENTS.has(ev)) throw new Error(`"${ev}" is a reserved event name`);
    const target = this.#target;
    const packet = { type: 2, data: [ev, ...args], nsp: target.nsp };
    // the emitter's key order: rooms, flags, except
    const opts = { rooms: [...this.#rooms], flags: this.#flags, except: [...this.#except] };
    publish(
      target,
      broadcastChannel(target.channels, this.#rooms),
      target.encode([UID, packet, opts]),
    );
    return true;
  }

  #request(type: number, extra: Record<string, unknown>): void {
    const opts = { rooms: [...this.#rooms], except: [...this.#except] };
    publish(this.#target, this.#target.channels.request, stringify({ type, opts, ...extra }));
  }

  /** Makes the selected sockets join `rooms`. */
  socketsJoin(rooms: Room | Room[]): void {
    this.#request(RequestType.REMOTE_JOIN, { rooms: Array.isArray(rooms) ? rooms : [rooms] });
  }

  /** Makes the selected sockets leave `rooms`. */
  socketsLeave(rooms: Room | Room[]): void {
    this.#request(RequestType.REMOTE_LEAVE, { rooms: Array.isArray(rooms) ? rooms : [rooms] });
  }

  /** Disconnects the selected sockets (closing the connections when `close`). */
  disconnectSockets(close = false): void {
    this.#request(RequestType.REMOTE_DISCONNECT, { close });
  }
}
