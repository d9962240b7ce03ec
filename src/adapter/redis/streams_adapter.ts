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
import { createLogger } from "../../util/logger.ts";
import type { AdapterNamespace, PrivateSessionId, Session, SessionToPersist } from "../adapter.ts";
import {
  type LoggedPacket,
  type LoggedSession,
  reaches,
  type RecoveryLog,
  type RestoredLog,
} from "../recovery_log.ts";
import {
  ClusterAdapter,
  type ClusterAdapterOptions,
  type ClusterMessage,
  MAY_CONTAIN_BINARY,
  MessageType,
} from "../cluster_adapter.ts";
import { decodeOptions, hasBinary, stringify } from "../cluster_wire.ts";
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

/** A stream entry: its id and its fields. */
interface Entry {
  id: string;
  fields: Record<string, string>;
}

function fieldsOf(list: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  if (Array.isArray(list)) {
    for (let i = 0; i + 1 < list.length; i += 2) fields[String(list[i])] = String(list[i + 1]);
  } else if (list && typeof list === "object") {
    for (const [k, v] of Object.entries(list)) fields[k] = String(v);
  }
  return fields;
}

/** The entries of an XRANGE reply. */
function entriesOf(reply: unknown): Entry[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((e) => ({
    id: String((e as unknown[])[0]),
    fields: fieldsOf((e as unknown[])[1]),
  }));
}

/** The entries of an XREAD reply (RESP2 arrays or a RESP3 map). */
function readEntries(reply: unknown): Entry[] {
  if (!reply) return [];
  if (reply instanceof Map) return [...reply.values()].flatMap(entriesOf);
  if (Array.isArray(reply)) return reply.flatMap((s) => entriesOf((s as unknown[])[1]));
  if (typeof reply === "object") return Object.values(reply).flatMap(entriesOf);
  return [];
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
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
    const binary = !this.#opts.onlyPlaintext && MAY_CONTAIN_BINARY.has(message.type) &&
      hasBinary(message.data);
    return binary ? base64(msgpackEncode(message.data)) : stringify(message.data);
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

/**
 * Recovery data in Redis, as the official streams adapter keeps it: the
 * stream is the log of broadcasts (a broadcast's XADD is its `append`, and
 * the entry id its offset), sessions are `SET <prefix><pid>
 * base64(msgpack({sid, pid, rooms, data})) PX <maxDisconnectionDuration>`.
 */
class RedisStreamRecoveryLog implements RecoveryLog {
  constructor(
    readonly port: RedisPort,
    readonly stream: string,
    readonly nsp: string,
    readonly opts: Resolved,
    readonly ttl: () => number,
  ) {}

  /** Nothing to do: the broadcast's own stream entry is the log. */
  append(_packet: LoggedPacket, _threshold: number): void {}

  persist(session: LoggedSession, _threshold: number): void {
    const { sid, pid, rooms, data } = session;
    const key = this.opts.sessionKeyPrefix + pid;
    const value = base64(msgpackEncode({ sid, pid, rooms, data }));
    this.port.command(["SET", key, value, "PX", String(this.ttl())], key).catch((err) =>
      log("persisting session %s failed: %s", sid, err?.message)
    );
  }

  async restore(
    pid: PrivateSessionId,
    offset: string,
    threshold: number,
  ): Promise<RestoredLog | null> {
    if (!/^[0-9]+-[0-9]+$/.test(offset)) return null;
    const key = this.opts.sessionKeyPrefix + pid;
    const [raw, at] = await Promise.all([
      this.port.command(["GETDEL", key], key),
      this.port.command(["XRANGE", this.stream, offset, offset], this.stream),
    ]);
    if (typeof raw !== "string" && !(raw instanceof Uint8Array)) return null;
    if (!entriesOf(at).length) return null;
    const text = typeof raw === "string" ? raw : new TextDecoder().decode(raw);
    const stored = msgpackDecode(fromBase64(text)) as Partial<SessionToPersist>;
    if (!stored || typeof stored.sid !== "string" || !Array.isArray(stored.rooms)) return null;
    const session: LoggedSession = {
      sid: stored.sid,
      pid: String(stored.pid ?? pid),
      rooms: stored.rooms.map(String),
      data: stored.data,
      disconnectedAt: threshold,
    };
    return { session, packets: await this.#after(offset, threshold) };
  }

  /** The broadcasts of this namespace after `offset`, in pages, at most `maxRestoredEntries`. */
  async #after(offset: string, threshold: number): Promise<LoggedPacket[]> {
    const packets: LoggedPacket[] = [];
    const page = 1000;
    let from = offset;
    let read = 0;
    while (read < this.opts.maxRestoredEntries) {
      const entries = entriesOf(
        await this.port.command(
          ["XRANGE", this.stream, "(" + from, "+", "COUNT", String(page)],
          this.stream,
        ),
      );
      for (const entry of entries) {
        from = entry.id;
        read++;
        if (entry.fields.nsp !== this.nsp || entry.fields.type !== "3") continue;
        const message = decodeEntry(entry.fields);
        const data = message.data as { packet?: { data?: unknown }; opts?: unknown } | undefined;
        if (!Array.isArray(data?.packet?.data)) continue;
        const emittedAt = parseInt(entry.id, 10);
        if (emittedAt < threshold) continue;
        const opts = decodeOptions(data.opts);
        packets.push({
          offset: entry.id,
          emittedAt,
          data: [...data.packet.data, entry.id],
          rooms: [...opts.rooms],
          except: [...(opts.except ?? [])],
        });
      }
      if (entries.length < page) break;
    }
    return packets;
  }
}

/** A stream entry back to a ClusterMessage: `data` is JSON, or base64 of msgpack. */
function decodeEntry(fields: Record<string, string>): ClusterMessage {
  const message: ClusterMessage = {
    uid: fields.uid,
    nsp: fields.nsp,
    type: parseInt(fields.type ?? "", 10),
  } as ClusterMessage;
  const data = fields.data;
  if (data) {
    message.data =
      (data.startsWith("{") ? JSON.parse(data) : msgpackDecode(fromBase64(data))) as Record<
        string,
        unknown
      >;
  }
  return message;
}
