/**
 * The user's Redis client behind one small port: node-redis v4/v5 (`redis`)
 * and ioredis 5, standalone or cluster, typed structurally (neither is a
 * dependency). Messages arrive as bytes whatever the client.
 *
 * @module
 */

import { createLogger } from "../../util/logger.ts";
import { nodeBuffer } from "../../util/host.ts";

const log = createLogger("sio-edge:redis");

/**
 * A Redis client from `redis` (node-redis v4/v5) or `ioredis` 5: a standalone
 * client or a cluster client. Typed structurally; see the README for how to
 * make one on each runtime.
 */
export interface RedisClient {
  /** Every client of both libraries is an event emitter. */
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  /** Publishes a message. */
  publish(...args: never[]): unknown;
}

/** Receives one pub/sub message. */
export type MessageListener = (channel: string, message: Uint8Array) => void;

type Kind = "message" | "pmessage" | "smessage";

// deno-lint-ignore no-explicit-any
type Loose = any;

/** What the adapters need from a client. */
export interface RedisPort {
  /** PUBLISH (or SPUBLISH when `sharded`). */
  publish(channel: string, message: Uint8Array | string, sharded?: boolean): Promise<void>;
  /** SUBSCRIBE / PSUBSCRIBE / SSUBSCRIBE `channel` for `listener`. */
  subscribe(kind: Kind, channel: string, listener: MessageListener): Promise<void>;
  /** The reverse of {@link RedisPort.subscribe}; Redis is told once no listener is left. */
  unsubscribe(kind: Kind, channel: string, listener: MessageListener): Promise<void>;
  /** PUBSUB NUMSUB | SHARDNUMSUB, summed over the nodes of a cluster. */
  numsub(kind: "NUMSUB" | "SHARDNUMSUB", channel: string): Promise<number>;
  /** A raw command; `key` routes it in a cluster. */
  command(args: string[], key: string): Promise<unknown>;
  /** A new connection with the same options (for blocking reads). */
  duplicate(): Promise<RedisPort>;
  /** Closes a connection made by {@link RedisPort.duplicate}. */
  close(): void;
}

/**
 * Unsubscribes one channel after the other, each failure logged: several at
 * once lose some with node-redis (node-redis#2052; seen on its cluster client).
 */
export async function unsubscribeEach(
  port: RedisPort,
  kind: Kind,
  channels: string[],
  listener: MessageListener,
): Promise<void> {
  for (const channel of channels) {
    try {
      await port.unsubscribe(kind, channel, listener);
    } catch (err) {
      log("unsubscribing %s failed: %s", channel, (err as Error)?.message);
    }
  }
}

const ports = new WeakMap<object, RedisPort>();

/** The port of `client`, one per client (so listeners share one dispatcher). */
export function redisPort(client: RedisClient): RedisPort {
  let port = ports.get(client);
  if (!port) {
    port = isNodeRedis(client) ? new NodeRedisPort(client) : new IoRedisPort(client);
    ports.set(client, port);
    watch(client);
  }
  return port;
}

function isNodeRedis(client: RedisClient): boolean {
  return typeof (client as Loose).pSubscribe === "function";
}

/**
 * node-redis and ioredis both buffer commands while disconnected, reconnect
 * and subscribe again by themselves; the adapter only has to keep an `error`
 * listener on them (without one an EventEmitter throws) and say what happens.
 */
function watch(client: RedisClient): void {
  let down = false;
  client.on(
    "error",
    ((err: Error) => {
      if (!down) log("connection error: %s", err?.message ?? err);
      down = true;
    }) as never,
  );
  client.on(
    "reconnecting",
    (() => {
      if (!down) log("connection lost; reconnecting");
      down = true;
    }) as never,
  );
  client.on(
    "ready",
    (() => {
      if (down) log("reconnected; subscriptions restored");
      down = false;
    }) as never,
  );
}

/**
 * Node's `Buffer` (from util/host.ts), which both clients require for binary
 * arguments. Every runtime those clients run on (Node, Deno, Bun, Workers
 * with nodejs_compat) has it as a global; without it a client cannot run at all.
 */
function toArgument(message: Uint8Array | string): unknown {
  if (typeof message === "string") return message;
  const NodeBuffer = nodeBuffer();
  return NodeBuffer
    ? NodeBuffer.from(message.buffer as ArrayBuffer, message.byteOffset, message.byteLength)
    : message;
}

function bytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  return new TextEncoder().encode(String(value));
}

function count(reply: unknown): number {
  return Array.isArray(reply) ? parseInt(String(reply[1]), 10) || 0 : 0;
}

class NodeRedisPort implements RedisPort {
  #client: Loose;
  #wrapped = new Map<MessageListener, (message: unknown, channel: unknown) => void>();

  constructor(client: RedisClient) {
    this.#client = client;
  }

  async publish(channel: string, message: Uint8Array | string, sharded = false): Promise<void> {
    const arg = toArgument(message);
    await (sharded ? this.#client.sPublish(channel, arg) : this.#client.publish(channel, arg));
  }

  #listener(listener: MessageListener) {
    let wrapped = this.#wrapped.get(listener);
    if (!wrapped) {
      wrapped = (message, channel) => listener(String(channel), bytes(message));
      this.#wrapped.set(listener, wrapped);
    }
    return wrapped;
  }

  async subscribe(kind: Kind, channel: string, listener: MessageListener): Promise<void> {
    const fn = this.#listener(listener);
    if (kind === "pmessage") await this.#client.pSubscribe(channel, fn, true);
    else if (kind === "smessage") await this.#client.sSubscribe(channel, fn, true);
    else await this.#client.subscribe(channel, fn, true);
  }

  async unsubscribe(kind: Kind, channel: string, listener: MessageListener): Promise<void> {
    const fn = this.#listener(listener);
    // one channel per call: node-redis#2052
    if (kind === "pmessage") await this.#client.pUnsubscribe(channel, fn, true);
    else if (kind === "smessage") await this.#client.sUnsubscribe(channel, fn, true);
    else await this.#client.unsubscribe(channel, fn, true);
  }

  async numsub(kind: "NUMSUB" | "SHARDNUMSUB", channel: string): Promise<number> {
    const client = this.#client;
    if (Array.isArray(client.masters)) {
      const counts = await Promise.all(client.masters.map(async (node: Loose) => {
        const nodeClient = typeof client.nodeClient === "function"
          ? await client.nodeClient(node)
          : node.client;
        return count(await nodeClient.sendCommand(["PUBSUB", kind, channel]));
      }));
      return counts.reduce((a: number, b: number) => a + b, 0);
    }
    return count(await client.sendCommand(["PUBSUB", kind, channel]));
  }

  command(args: string[], key: string): Promise<unknown> {
    const client = this.#client;
    return Array.isArray(client.masters)
      ? client.sendCommand(key, false, args)
      : client.sendCommand(args);
  }

  async duplicate(): Promise<RedisPort> {
    const copy = this.#client.duplicate();
    copy.on("error", (err: Error) => log("reader connection error: %s", err?.message));
    await copy.connect();
    return new NodeRedisPort(copy);
  }

  close(): void {
    const client = this.#client;
    (client.destroy ?? client.disconnect)?.call(client)?.catch?.(() => {});
  }
}

class IoRedisPort implements RedisPort {
  #client: Loose;
  #listeners: Record<Kind, Map<string, Set<MessageListener>>> = {
    message: new Map(),
    pmessage: new Map(),
    smessage: new Map(),
  };
  #attached = false;

  constructor(client: RedisClient) {
    this.#client = client;
  }

  async publish(channel: string, message: Uint8Array | string, sharded = false): Promise<void> {
    const arg = toArgument(message);
    await (sharded ? this.#client.spublish(channel, arg) : this.#client.publish(channel, arg));
  }

  #attach(): void {
    if (this.#attached) return;
    this.#attached = true;
    const dispatch = (kind: Kind, key: string, channel: unknown, message: unknown) => {
      const set = this.#listeners[kind].get(key);
      if (!set) return;
      const name = String(channel);
      const payload = bytes(message);
      for (const listener of set) listener(name, payload);
    };
    this.#client.on("messageBuffer", (channel: unknown, message: unknown) => {
      dispatch("message", String(channel), channel, message);
    });
    this.#client.on("pmessageBuffer", (pattern: unknown, channel: unknown, message: unknown) => {
      dispatch("pmessage", String(pattern), channel, message);
    });
    this.#client.on("smessageBuffer", (channel: unknown, message: unknown) => {
      dispatch("smessage", String(channel), channel, message);
    });
  }

  async subscribe(kind: Kind, channel: string, listener: MessageListener): Promise<void> {
    this.#attach();
    const map = this.#listeners[kind];
    let set = map.get(channel);
    const first = !set;
    if (!set) map.set(channel, set = new Set());
    set.add(listener);
    if (!first) return;
    // subscribing before ioredis's ready check (INFO) puts the connection in subscriber mode too
    // early: the check fails with "Connection in subscriber mode" (seen on Bun), so wait for it
    await this.#ready();
    if (map.get(channel) !== set) return; // unsubscribed meanwhile
    if (kind === "pmessage") await this.#client.psubscribe(channel);
    else if (kind === "smessage") await this.#client.ssubscribe(channel);
    else await this.#client.subscribe(channel);
  }

  #ready(): Promise<void> {
    const client = this.#client;
    if (client.status === "ready" || client.status === undefined) return Promise.resolve();
    return new Promise((resolve) => client.once("ready", () => resolve()));
  }

  async unsubscribe(kind: Kind, channel: string, listener: MessageListener): Promise<void> {
    const map = this.#listeners[kind];
    const set = map.get(channel);
    if (!set?.delete(listener) || set.size) return;
    map.delete(channel);
    if (kind === "pmessage") await this.#client.punsubscribe(channel);
    else if (kind === "smessage") await this.#client.sunsubscribe(channel);
    else await this.#client.unsubscribe(channel);
  }

  async numsub(kind: "NUMSUB" | "SHARDNUMSUB", channel: string): Promise<number> {
    const client = this.#client;
    if (client.isCluster || client.constructor?.name === "Cluster") {
      const counts = await Promise.all(
        client.nodes().map(async (node: Loose) => count(await node.call("PUBSUB", kind, channel))),
      );
      return counts.reduce((a: number, b: number) => a + b, 0);
    }
    return count(await client.call("PUBSUB", kind, channel));
  }

  command(args: string[]): Promise<unknown> {
    return this.#client.call(...args);
  }

  async duplicate(): Promise<RedisPort> {
    const copy = this.#client.duplicate();
    copy.on("error", (err: Error) => log("reader connection error: %s", err?.message));
    if (copy.status === "wait") await copy.connect();
    return new IoRedisPort(copy);
  }

  close(): void {
    this.#client.disconnect();
  }
}
