/**
 * `sio-edge/redis`: Socket.IO servers on many machines through Redis,
 * wire-compatible with the official `@socket.io/redis-adapter` (classic and
 * sharded) and `@socket.io/redis-emitter`, over the application's own
 * node-redis v4/v5 or ioredis 5 client.
 *
 * @example
 * ```ts ignore
 * import { createClient } from "redis";
 * import { Server } from "sio-edge";
 * import { createAdapter, Emitter } from "sio-edge/redis";
 *
 * const pub = createClient({ url: "redis://127.0.0.1:6379" });
 * const sub = pub.duplicate();
 * await Promise.all([pub.connect(), sub.connect()]);
 * const io = new Server({ adapter: createAdapter(pub, sub) });
 * new Emitter(pub).to("room1").emit("hello");
 * ```
 *
 * @module
 */

export { createAdapter, RedisAdapter, type RedisAdapterOptions } from "./classic_adapter.ts";
export type { RedisParser } from "./classic_wire.ts";
export {
  createShardedAdapter,
  ShardedRedisAdapter,
  type ShardedRedisAdapterOptions,
} from "./sharded_adapter.ts";
export {
  createStreamsAdapter,
  RedisStreamsAdapter,
  type RedisStreamsAdapterOptions,
} from "./streams_adapter.ts";
export { Emitter, EmitterBroadcastOperator, type EmitterOptions } from "./emitter.ts";
export type { RedisClient } from "./_client.ts";
export {
  decode as msgpackDecode,
  encode as msgpackEncode,
  MsgpackError,
} from "../../parser/msgpack_codec.ts";
