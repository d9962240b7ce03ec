/**
 * The sharded Redis adapter, wire-compatible with `createShardedAdapter` of
 * `@socket.io/redis-adapter` 8.3: Redis 7 sharded pub/sub (SPUBLISH,
 * SSUBSCRIBE), ClusterAdapter messages as JSON (msgpack when they carry
 * binary), one channel per namespace plus, in the dynamic modes, one per room.
 *
 * @module
 */

import { decode as msgpackDecode, encode as msgpackEncode } from "../../parser/msgpack_codec.ts";
import { hasBinary } from "../../parser/socket_packet.ts";
import { createLogger } from "../../util/logger.ts";
import type { AdapterNamespace, Room } from "../adapter.ts";
import {
  ClusterAdapter,
  type ClusterAdapterOptions,
  type ClusterMessage,
  MAY_CONTAIN_BINARY,
  MessageType,
} from "../cluster_adapter.ts";
import { stringify } from "../cluster_wire.ts";
import {
  type MessageListener,
  type RedisClient,
  type RedisPort,
  redisPort,
  unsubscribeEach,
} from "./_client.ts";

const log = createLogger("sio-edge:redis");

/** Options of {@link createShardedAdapter}. */
export interface ShardedRedisAdapterOptions extends ClusterAdapterOptions {
  /**
   * The prefix of every channel.
   * @default "socket.io"
   */
  channelPrefix?: string;
  /**
   * `"static"`: two channels per namespace; `"dynamic"`: also one per public
   * room (a socket's own room stays on the namespace channel);
   * `"dynamic-private"`: one per room, private ones included.
   * @default "dynamic"
   */
  subscriptionMode?: "static" | "dynamic" | "dynamic-private";
}

/**
 * Makes the adapter of every namespace talk to the other servers over Redis
 * sharded pub/sub (Redis ≥ 7), like the official `createShardedAdapter`.
 *
 * @example
 * ```ts ignore
 * import { createClient } from "redis";
 * import { Server } from "sio-edge";
 * import { createShardedAdapter } from "sio-edge/redis";
 *
 * const pub = createClient({ url: "redis://127.0.0.1:6379" });
 * const sub = pub.duplicate();
 * await Promise.all([pub.connect(), sub.connect()]);
 * const io = new Server({ adapter: createShardedAdapter(pub, sub) });
 * ```
 */
export function createShardedAdapter(
  pubClient: RedisClient,
  subClient: RedisClient,
  opts: ShardedRedisAdapterOptions = {},
): (nsp: AdapterNamespace) => ShardedRedisAdapter {
  return (nsp) => new ShardedRedisAdapter(nsp, pubClient, subClient, opts);
}

/** The official adapter's guess that a room is a socket id: 20 characters. */
function looksLikeASocketId(room: unknown): boolean {
  return typeof room === "string" && room.length === 20;
}

/** The adapter of one namespace; made by {@link createShardedAdapter}. */
export class ShardedRedisAdapter extends ClusterAdapter {
  #pub: RedisPort;
  #sub: RedisPort;
  #mode: "static" | "dynamic" | "dynamic-private";
  #channel: string;
  #responseChannel: string;
  #roomChannels = new Set<string>();
  #subscribed: Promise<void> | undefined;
  #closed = false;
  #listener: MessageListener = (channel, message) => this.#receive(channel, message);

  /** Made by {@link createShardedAdapter}. */
  constructor(
    nsp: AdapterNamespace,
    pubClient: RedisClient,
    subClient: RedisClient,
    opts: ShardedRedisAdapterOptions = {},
  ) {
    super(nsp, opts);
    this.#pub = redisPort(pubClient);
    this.#sub = redisPort(subClient);
    this.#mode = opts.subscriptionMode ?? "dynamic";
    const prefix = opts.channelPrefix ?? "socket.io";
    this.#channel = `${prefix}#${nsp.name}#`;
    this.#responseChannel = `${this.#channel}${this.uid}#`;
    if (this.#mode !== "static") {
      this.on("create-room", (room) => {
        if (this.#separate(room)) this.#subscribeRoom(this.#roomChannel(room));
      });
      this.on("delete-room", (room) => {
        const channel = this.#roomChannel(room);
        if (!this.#roomChannels.delete(channel)) return;
        this.#sub.unsubscribe("smessage", channel, this.#listener).catch((err) =>
          log("unsubscribing %s failed: %s", channel, err?.message)
        );
      });
    }
  }

  /** Subscribes to the namespace's channels; resolves once Redis confirmed. */
  override init(): Promise<void> {
    return this.#subscribed ??= Promise.all([
      this.#sub.subscribe("smessage", this.#channel, this.#listener),
      this.#sub.subscribe("smessage", this.#responseChannel, this.#listener),
    ]).then(() => {}, (err) => log("subscribing %s failed: %s", this.nsp.name, err?.message));
  }

  #separate(room: Room): boolean {
    return this.#mode === "dynamic-private" || (this.#mode === "dynamic" && !this.sids.has(room));
  }

  #roomChannel(room: Room): string {
    return `${this.#channel}${room}#`;
  }

  #subscribeRoom(channel: string): void {
    if (this.#closed || this.#roomChannels.has(channel)) return;
    this.#roomChannels.add(channel);
    this.#sub.subscribe("smessage", channel, this.#listener).catch((err) =>
      log("subscribing %s failed: %s", channel, err?.message)
    );
  }

  /** Unsubscribes every channel of the namespace. */
  override async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    super.close();
    await this.#subscribed;
    const channels = [this.#channel, this.#responseChannel, ...this.#roomChannels];
    this.#roomChannels.clear();
    await unsubscribeEach(this.#sub, "smessage", channels, this.#listener);
  }

  #encode(message: ClusterMessage): Uint8Array | string {
    if (!MAY_CONTAIN_BINARY.has(message.type)) return stringify(message);
    // walked once: the rest of the message (uid, nsp, type) is never binary
    return hasBinary(message.data) ? msgpackEncode(message) : stringify(message, false);
  }

  /** The namespace channel, or a room's channel for a broadcast (without ack) to one room. */
  #channelOf(message: ClusterMessage): string {
    const data = message.data as { requestId?: unknown; opts?: { rooms?: Room[] } } | undefined;
    const rooms = data?.opts?.rooms;
    const dynamic = message.type === MessageType.BROADCAST && data?.requestId === undefined &&
      rooms?.length === 1 &&
      ((this.#mode === "dynamic" && !looksLikeASocketId(rooms[0])) ||
        this.#mode === "dynamic-private");
    return dynamic ? this.#roomChannel(rooms![0]!) : this.#channel;
  }

  protected override async doPublish(message: ClusterMessage): Promise<string> {
    await this.#pub.publish(this.#channelOf(message), this.#encode(message), true);
    return "";
  }

  protected override async doPublishResponse(
    requesterUid: string,
    response: ClusterMessage,
  ): Promise<void> {
    await this.#pub.publish(`${this.#channel}${requesterUid}#`, this.#encode(response), true);
  }

  #receive(channel: string, raw: Uint8Array): void {
    let message: ClusterMessage;
    try {
      message = (raw[0] === 0x7b
        ? JSON.parse(new TextDecoder().decode(raw))
        : msgpackDecode(raw)) as ClusterMessage;
    } catch (err) {
      return log("ignoring a malformed message: %s", (err as Error).message);
    }
    if (!message || typeof message !== "object") return;
    if (channel === this.#responseChannel) this.onResponse(message);
    else this.onMessage(message);
  }

  /** How many servers serve this namespace: the sharded subscribers of its channel. */
  override serverCount(): Promise<number> {
    return this.#pub.numsub("SHARDNUMSUB", this.#channel);
  }
}
