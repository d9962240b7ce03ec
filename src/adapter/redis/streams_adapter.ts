/**
 * The Redis streams adapter, wire-compatible with
 * `@socket.io/redis-streams-adapter` 0.3: broadcasts, joins, leaves and
 * disconnects are appended to a stream (XADD), which every server reads
 * (XREAD BLOCK) and which keeps them for connection state recovery; requests
 * and their answers go over pub/sub. Sessions of disconnected sockets live in
 * Redis, so a client recovers on any server of the fleet.
 *
 * @module
 */

import { decode as msgpackDecode, encode as msgpackEncode } from "../../parser/msgpack_codec.ts";
import { hasBinary } from "../../parser/socket_packet.ts";
import { createLogger } from "../../util/logger.ts";
import type { AdapterNamespace, PrivateSessionId, Session, SessionToPersist } from "../adapter.ts";
import { reaches } from "../recovery_log.ts";
import {
  ClusterAdapter,
  type ClusterAdapterOptions,
  type ClusterMessage,
  MAY_CONTAIN_BINARY,
  MessageType,
} from "../cluster_adapter.ts";
import { stringify } from "../cluster_wire.ts";
import { base64, decodeEntry, readEntries, RedisStreamRecoveryLog } from "./_streams_log.ts";
import {
  type MessageListener,
  type RedisClient,
  type RedisPort,
  redisPort,
  unsubscribeEach,
} from "./_client.ts";

const log = createLogger("sio-edge:redis");

/** Options of {@link createStreamsAdapter}. */
export interface RedisStreamsAdapterOptions extends ClusterAdapterOptions {
  /**
   * The stream's key (with `streamCount > 1`, the prefix of `<name>-<i>`).
   * @default "socket.io"
   */
  streamName?: string;
  /**
   * How many streams the namespaces are spread over (by a hash of their name).
   * @default 1
   */
  streamCount?: number;
  /**
   * The prefix of the pub/sub channels of requests and answers.
   * @default "socket.io"
   */
  channelPrefix?: string;
  /**
   * Requests and answers over sharded pub/sub (SPUBLISH/SSUBSCRIBE).
   * @default false
   */
  useShardedPubSub?: boolean;
  /**
   * The approximate length the stream is trimmed to (XADD MAXLEN ~).
   * @default 10000
   */
  maxLen?: number;
  /**
   * How many entries one XREAD returns at most.
   * @default 100
   */
  readCount?: number;
  /**
   * How long one XREAD blocks (ms).
   * @default 5000
   */
  blockTimeInMs?: number;
  /**
   * The prefix of the keys that keep disconnected sessions.
   * @default "sio:session:"
   */
  sessionKeyPrefix?: string;
  /**
   * Never look for binary: every stream entry is JSON.
   * @default false
   */
  onlyPlaintext?: boolean;
  /**
   * At most this many stream entries are read to restore one session (the
   * official adapter reads 100 unbounded pages).
   * @default 100000
   */
  maxRestoredEntries?: number;
}

type Resolved = Required<Omit<RedisStreamsAdapterOptions, "requestsTimeout">> & {
  requestsTimeout?: number;
};

/** The official adapter's stream for a namespace when there are several (signed 32-bit hash). */
function hashCode(value: string): number {
  let hash = 0;
  for (let i = 0; i < value.length; i++) hash = (hash * 31 + value.charCodeAt(i)) | 0;
  return hash;
}

function streamOf(nsp: string, opts: Resolved): string {
  // the official adapter's remainder may be negative; so is ours, for the same stream names
  return opts.streamCount === 1
    ? opts.streamName
    : `${opts.streamName}-${hashCode(nsp) % opts.streamCount}`;
}

/** Reads one stream for every namespace of a factory, from "$" on. */
class StreamReader {
  #offset = "$";
  #stopped = false;
  #port: Promise<RedisPort>;
  #done: Promise<void>;

  constructor(
    client: RedisPort,
    readonly stream: string,
    readonly opts: Resolved,
    dispatch: (fields: Record<string, string>, id: string) => void,
  ) {
    this.#port = client.duplicate();
    this.#done = this.#loop(dispatch);
  }

  async #loop(dispatch: (fields: Record<string, string>, id: string) => void): Promise<void> {
    let port: RedisPort;
    try {
      port = await this.#port;
    } catch (err) {
      return log("the stream reader could not connect: %s", (err as Error).message);
    }
    while (!this.#stopped) {
      try {
        const reply = await port.command([
          "XREAD",
          "COUNT",
          String(this.opts.readCount),
          "BLOCK",
          String(this.opts.blockTimeInMs),
          "STREAMS",
          this.stream,
          this.#offset,
        ], this.stream);
        for (const entry of readEntries(reply)) {
          this.#offset = entry.id;
          if (entry.fields.nsp) dispatch(entry.fields, entry.id);
        }
      } catch (err) {
        if (this.#stopped) break;
        log("reading the stream failed: %s", (err as Error).message);
        // the client reconnects by itself; do not spin meanwhile
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    (await this.#port.catch(() => undefined))?.close();
    await this.#done;
  }
}

/** What one {@link createStreamsAdapter} call shares between its namespaces. */
class Shared {
  readonly adapters: Map<string, RedisStreamsAdapter> = new Map();
  readonly readers: Map<string, StreamReader> = new Map();
  sub: Promise<RedisPort> | undefined;

  constructor(readonly port: RedisPort, readonly opts: Resolved) {}

  attach(adapter: RedisStreamsAdapter, stream: string): Promise<RedisPort> {
    this.adapters.set(adapter.nsp.name, adapter);
    if (!this.readers.has(stream)) {
      this.readers.set(
        stream,
        new StreamReader(this.port, stream, this.opts, (fields, id) => {
          this.adapters.get(fields.nsp!)?._onEntry(fields, id);
        }),
      );
    }
    return this.sub ??= this.port.duplicate();
  }

  async detach(adapter: RedisStreamsAdapter): Promise<void> {
    if (this.adapters.get(adapter.nsp.name) === adapter) this.adapters.delete(adapter.nsp.name);
    if (this.adapters.size) return;
    const readers = [...this.readers.values()];
    this.readers.clear();
    const sub = this.sub;
    this.sub = undefined;
    await Promise.all(readers.map((r) => r.stop()));
    (await sub?.catch(() => undefined))?.close();
  }
}

/**
 * Makes the adapter of every namespace talk to the other servers through a
 * Redis stream, like `@socket.io/redis-streams-adapter` 0.3, with connection
 * state recovery across servers. One client: the adapter duplicates it for
 * its blocking reads and its subscriptions.
 *
 * @example
 * ```ts ignore
 * import { createClient } from "redis";
 * import { Server } from "sio-edge";
 * import { createStreamsAdapter } from "sio-edge/redis";
 *
 * const client = createClient({ url: "redis://127.0.0.1:6379" });
 * await client.connect();
 * const io = new Server({
 *   adapter: createStreamsAdapter(client),
 *   connectionStateRecovery: { maxDisconnectionDuration: 2 * 60_000 },
 * });
 * ```
 */
export function createStreamsAdapter(
  client: RedisClient,
  opts: RedisStreamsAdapterOptions = {},
): (nsp: AdapterNamespace) => RedisStreamsAdapter {
  const resolved: Resolved = {
    streamName: "socket.io",
    streamCount: 1,
    channelPrefix: "socket.io",
    useShardedPubSub: false,
    maxLen: 10_000,
    readCount: 100,
    blockTimeInMs: 5_000,
    sessionKeyPrefix: "sio:session:",
    onlyPlaintext: false,
    maxRestoredEntries: 100_000,
    ...opts,
  };
  const shared = new Shared(redisPort(client), resolved);
  return (nsp) => new RedisStreamsAdapter(nsp, shared);
}

/** Messages that only live ones need: sent over pub/sub, never kept in the stream. */
function isEphemeral(message: ClusterMessage): boolean {
  return (message.type === MessageType.BROADCAST && message.data?.requestId !== undefined) ||
    message.type === MessageType.SERVER_SIDE_EMIT || message.type === MessageType.FETCH_SOCKETS;
}

/** The adapter of one namespace; made by {@link createStreamsAdapter}. */
export class RedisStreamsAdapter extends ClusterAdapter {
  #shared: Shared;
  #opts: Resolved;
  #stream: string;
  #publicChannel: string;
  #privateChannel: string;
  #sub: Promise<RedisPort> | undefined;
  #subscribed: Promise<void> | undefined;
  #closed = false;
  #log: RedisStreamRecoveryLog;
  #listener: MessageListener = (_channel, message) => {
    try {
      this.onMessage(msgpackDecode(message) as ClusterMessage);
    } catch (err) {
      log("ignoring a malformed message: %s", (err as Error).message);
    }
  };

  /** Made by {@link createStreamsAdapter}. */
  constructor(nsp: AdapterNamespace, shared: Shared) {
    super(nsp, shared.opts);
    this.#shared = shared;
    this.#opts = shared.opts;
    this.#stream = streamOf(nsp.name, shared.opts);
    this.#publicChannel = `${shared.opts.channelPrefix}#${nsp.name}#`;
    this.#privateChannel = `${this.#publicChannel}${this.uid}#`;
    this.#log = new RedisStreamRecoveryLog(
      shared.port,
      this.#stream,
      nsp.name,
      shared.opts,
      () => this.#maxDuration,
    );
  }

  protected override get hasOffsets(): boolean {
    return true;
  }

  get #kind(): "smessage" | "message" {
    return this.#opts.useShardedPubSub ? "smessage" : "message";
  }

  /** Starts reading the stream and subscribes to the namespace's channels. */
  override init(): Promise<void> {
    return this.#subscribed ??= (async () => {
      try {
        const sub = await (this.#sub = this.#shared.attach(this, this.#stream));
        await Promise.all([
          sub.subscribe(this.#kind, this.#publicChannel, this.#listener),
          sub.subscribe(this.#kind, this.#privateChannel, this.#listener),
        ]);
      } catch (err) {
        log("subscribing %s failed: %s", this.nsp.name, (err as Error).message);
      }
    })();
  }

  /** Unsubscribes; the last namespace of the factory stops the reader. */
  override async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    super.close();
    await this.#subscribed;
    const sub = await this.#sub?.catch(() => undefined);
    if (sub) {
      await unsubscribeEach(
        sub,
        this.#kind,
        [this.#publicChannel, this.#privateChannel],
        this.#listener,
      );
    }
    await this.#shared.detach(this);
  }

  protected override async doPublish(message: ClusterMessage): Promise<string> {
    const port = this.#shared.port;
    const sharded = this.#opts.useShardedPubSub;
    if (isEphemeral(message)) {
      await port.publish(this.#publicChannel, msgpackEncode(message), sharded);
      return "";
    }
    const args = [
      "XADD",
      this.#stream,
      "MAXLEN",
      "~",
      String(this.#opts.maxLen),
      "*",
      "uid",
      String(message.uid),
      "nsp",
      String(message.nsp),
      "type",
      String(message.type),
    ];
    if (message.data) args.push("data", this.#encodeData(message));
    return String(await port.command(args, this.#stream));
  }

  #encodeData(message: ClusterMessage): string {
    if (!MAY_CONTAIN_BINARY.has(message.type)) return stringify(message.data);
    const binary = hasBinary(message.data);
    return binary && !this.#opts.onlyPlaintext
      ? base64(msgpackEncode(message.data))
      : stringify(message.data, binary);
  }

  protected override async doPublishResponse(
    requesterUid: string,
    response: ClusterMessage,
  ): Promise<void> {
    const channel = `${this.#publicChannel}${requesterUid}#`;
    await this.#shared.port.publish(channel, msgpackEncode(response), this.#opts.useShardedPubSub);
  }

  /** Internal: an entry of the stream, for this namespace. */
  _onEntry(fields: Record<string, string>, id: string): void {
    let message: ClusterMessage;
    try {
      message = decodeEntry(fields);
    } catch (err) {
      return log("ignoring a malformed entry %s: %s", id, (err as Error).message);
    }
    this.onMessage(message, id);
  }

  /** How many servers serve this namespace: the subscribers of its public channel. */
  override serverCount(): Promise<number> {
    return this.#shared.port.numsub(
      this.#opts.useShardedPubSub ? "SHARDNUMSUB" : "NUMSUB",
      this.#publicChannel,
    );
  }

  /** Keeps the session in Redis for `maxDisconnectionDuration`, for any server of the fleet. */
  override persistSession(session: SessionToPersist): void {
    const now = this.nsp._adapterContext.clock.now();
    this.#log.persist({ ...session, disconnectedAt: now }, now - this.#maxDuration);
  }

  get #maxDuration(): number {
    return this.nsp._adapterContext.maxDisconnectionDuration;
  }

  /**
   * The session of `pid` with the broadcasts it missed after `offset` (a
   * stream entry id, which must still be in the stream); null when either is
   * gone. The rule of who missed what is the {@link SessionAwareAdapter}'s.
   */
  override async restoreSession(pid: PrivateSessionId, offset: string): Promise<Session | null> {
    const threshold = this.nsp._adapterContext.clock.now() - this.#maxDuration;
    const found = await this.#log.restore(pid, offset, threshold);
    if (!found) return null;
    const { disconnectedAt: _, ...persisted } = found.session;
    const missedPackets = found.packets
      .filter((packet) => reaches(persisted.rooms, packet))
      .map((packet) => packet.data);
    return { ...persisted, missedPackets };
  }
}
