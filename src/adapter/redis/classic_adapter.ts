/**
 * The classic Redis adapter, wire-compatible with `@socket.io/redis-adapter`
 * 8.3 (`createAdapter`): broadcasts over `<key>#<nsp>#[<room>#]`, requests
 * over `<key>-request#<nsp>#`, answers over `<key>-response#<nsp>#[<uid>#]`,
 * msgpack for broadcasts and ack traffic, JSON for the rest.
 *
 * @module
 */

import type { Packet } from "../../parser/socket_packet.ts";
import { createLogger } from "../../util/logger.ts";
import type { Clock, TimerHandle } from "../../util/clock.ts";
import {
  Adapter,
  type AdapterNamespace,
  type AdapterSocket,
  type BroadcastOptions,
  type Room,
  type SocketDetails,
  type SocketId,
} from "../adapter.ts";
import {
  decodeOptions,
  describeSocket,
  encodeOptions,
  PendingRequests,
  serverSideEmitWithAck,
  shortId,
  socketsHaveBinary,
  stringify,
} from "../cluster_wire.ts";
import {
  type MessageListener,
  type RedisClient,
  type RedisPort,
  redisPort,
  unsubscribeEach,
} from "./_client.ts";
import {
  broadcastChannel,
  type ClassicChannels,
  classicChannels,
  decodeRequest,
  defaultParser,
  peekRequestId,
  type RedisParser,
  RequestType,
  specificResponseChannel,
} from "./classic_wire.ts";

export { type RedisParser, RequestType };

const log = createLogger("sio-edge:redis");

/** Options of {@link createAdapter}. */
export interface RedisAdapterOptions {
  /**
   * The prefix of every channel.
   * @default "socket.io"
   */
  key?: string;
  /**
   * How long `fetchSockets()`, `allRooms()` and `serverSideEmitWithAck()` wait
   * for the other servers (ms).
   * @default 5000
   */
  requestsTimeout?: number;
  /**
   * Answer on the requester's own channel (`<key>-response#<nsp>#<uid>#`)
   * instead of the common one. Every server of the fleet must agree.
   * @default false
   */
  publishOnSpecificResponseChannel?: boolean;
  /**
   * The codec of broadcasts and ack traffic; must be the fleet's.
   * @default the built-in msgpack codec (notepack.io's bytes)
   */
  parser?: RedisParser;
}

/**
 * Makes the adapter of every namespace talk to the other servers through
 * Redis, like `@socket.io/redis-adapter`; official Node servers and sio-edge
 * servers share one fleet.
 *
 * @example
 * ```ts ignore
 * import { createClient } from "redis";
 * import { Server } from "sio-edge";
 * import { createAdapter } from "sio-edge/redis";
 *
 * const pub = createClient({ url: "redis://127.0.0.1:6379" });
 * const sub = pub.duplicate();
 * await Promise.all([pub.connect(), sub.connect()]);
 * const io = new Server({ adapter: createAdapter(pub, sub) });
 * ```
 */
export function createAdapter(
  pubClient: RedisClient,
  subClient: RedisClient,
  opts: RedisAdapterOptions = {},
): (nsp: AdapterNamespace) => RedisAdapter {
  return (nsp) => new RedisAdapter(nsp, pubClient, subClient, opts);
}

interface AckRequest {
  clientCountCallback(count: number): void;
  ack(...args: unknown[]): void;
  timer: TimerHandle;
}

type Request = Record<string, unknown> & { type?: unknown; requestId?: unknown; uid?: unknown };

/** The adapter of one namespace; made by {@link createAdapter}. */
export class RedisAdapter extends Adapter {
  /** This adapter's id on the wire (6 characters, like the official one). */
  readonly uid: string = shortId(6);
  /** How long requests wait for the other servers (ms). */
  readonly requestsTimeout: number;
  /** Whether answers go to the requester's own channel. */
  readonly publishOnSpecificResponseChannel: boolean;
  #pub: RedisPort;
  #sub: RedisPort;
  #parser: RedisParser;
  #channels: ClassicChannels;
  #channel: string;
  #requestChannel: string;
  #responseChannel: string;
  #specificResponseChannel: string;
  #requests: PendingRequests;
  #ackRequests = new Map<string, AckRequest>();
  #clock: Clock;
  #subscribed: Promise<void> | undefined;
  #closed = false;

  /** Made by {@link createAdapter}. */
  constructor(
    nsp: AdapterNamespace,
    pubClient: RedisClient,
    subClient: RedisClient,
    opts: RedisAdapterOptions = {},
  ) {
    super(nsp);
    this.#pub = redisPort(pubClient);
    this.#sub = redisPort(subClient);
    this.requestsTimeout = opts.requestsTimeout || 5000;
    this.publishOnSpecificResponseChannel = !!opts.publishOnSpecificResponseChannel;
    this.#parser = opts.parser ?? defaultParser;
    const key = opts.key || "socket.io";
    const channels = this.#channels = classicChannels(key, nsp.name);
    this.#channel = channels.broadcast;
    this.#requestChannel = channels.request;
    this.#responseChannel = channels.response;
    this.#specificResponseChannel = specificResponseChannel(channels, this.uid);
    this.#clock = nsp._adapterContext.clock;
    this.#requests = new PendingRequests(this.#clock);
  }

  #onBroadcast: MessageListener = (channel, message) => this.#receiveBroadcast(channel, message);
  #onRequest: MessageListener = (channel, message) => this.#receiveRequest(channel, message);

  /** Subscribes to the namespace's channels; resolves once Redis confirmed. */
  override init(): Promise<void> {
    return this.#subscribed ??= this.#subscribe();
  }

  async #subscribe(): Promise<void> {
    try {
      await Promise.all([
        this.#sub.subscribe("pmessage", this.#channel + "*", this.#onBroadcast),
        this.#sub.subscribe("message", this.#requestChannel, this.#onRequest),
        this.#sub.subscribe("message", this.#responseChannel, this.#onRequest),
        this.#sub.subscribe("message", this.#specificResponseChannel, this.#onRequest),
      ]);
    } catch (err) {
      log("subscribing %s failed: %s", this.nsp.name, (err as Error).message);
    }
  }

  /** Unsubscribes and settles what still waits. */
  override async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#requests.closeAll(new Error("the adapter was closed"));
    for (const request of this.#ackRequests.values()) this.#clock.clearTimeout(request.timer);
    this.#ackRequests.clear();
    await this.#subscribed;
    await unsubscribeEach(this.#sub, "pmessage", [this.#channel + "*"], this.#onBroadcast);
    await unsubscribeEach(this.#sub, "message", [
      this.#requestChannel,
      this.#responseChannel,
      this.#specificResponseChannel,
    ], this.#onRequest);
  }

  #publish(channel: string, message: Uint8Array | string): void {
    this.#pub.publish(channel, message).catch((err) =>
      log("publishing to %s failed: %s", channel, err?.message)
    );
  }

  /** The packet as the official adapter publishes it: `type`, `data`, `nsp`. */
  #wirePacket(packet: Packet): Record<string, unknown> {
    const wire: Record<string, unknown> = { type: packet.type, data: packet.data };
    wire.nsp = this.nsp.name;
    return wire;
  }

  /** Sends to the matching sockets here, and publishes for the other servers (unless `local`). */
  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    if (!opts.flags?.local) {
      const message = this.#parser.encode([this.uid, this.#wirePacket(packet), {
        rooms: [...opts.rooms],
        except: [...new Set(opts.except ?? [])],
        flags: opts.flags ?? {},
      }]);
      this.#publish(broadcastChannel(this.#channels, opts.rooms), message);
    }
    super.broadcast(packet, opts);
  }

  #receiveBroadcast(channel: string, message: Uint8Array): void {
    if (!channel.startsWith(this.#channel)) return;
    const room = channel.slice(this.#channel.length, -1);
    // a room this server does not have: not even decoded
    if (room !== "" && !this.rooms.has(room)) return;
    let decoded: unknown;
    try {
      decoded = this.#parser.decode(message);
    } catch (err) {
      return log("ignoring a malformed broadcast: %s", (err as Error).message);
    }
    if (!Array.isArray(decoded)) return;
    const [uid, packet, opts] = decoded as [unknown, Record<string, unknown> | null, unknown];
    if (uid === this.uid || !packet || typeof packet !== "object") return;
    if (packet.nsp === undefined) packet.nsp = "/";
    if (packet.nsp !== this.nsp.name || !Array.isArray(packet.data)) return;
    super.broadcast(packet as unknown as Packet, decodeOptions(opts));
  }

  #decodeRequest(message: Uint8Array): Request | undefined {
    const value = decodeRequest(message, this.#parser);
    if (!value) log("ignoring a malformed request");
    return value as Request | undefined;
  }

  #receiveRequest(channel: string, message: Uint8Array): void {
    if (channel.startsWith(this.#responseChannel)) return this.#receiveResponse(message);
    if (channel !== this.#requestChannel) return;
    const request = this.#decodeRequest(message);
    if (!request) return;
    switch (request.type) {
      case RequestType.SOCKETS: {
        if (this.#requests.has(request.requestId)) return;
        const ids = new Set<SocketId>();
        void super.sockets(decodeOptions({ rooms: request.rooms }).rooms).then((found) => {
          for (const id of found) ids.add(id);
          this.#respond(request, stringify({ requestId: request.requestId, sockets: [...ids] }));
        });
        return;
      }
      case RequestType.ALL_ROOMS:
        if (this.#requests.has(request.requestId)) return;
        return this.#respond(
          request,
          stringify({ requestId: request.requestId, rooms: [...this.rooms.keys()] }),
        );
      case RequestType.REMOTE_JOIN:
      case RequestType.REMOTE_LEAVE:
      case RequestType.REMOTE_DISCONNECT:
        return this.#receiveRemoteOperation(request);
      case RequestType.REMOTE_FETCH: {
        if (this.#requests.has(request.requestId)) return;
        super.fetchSockets(decodeOptions(request.opts)).then((found) => {
          const sockets = (found as AdapterSocket[]).map(describeSocket);
          this.#respond(
            request,
            stringify({ requestId: request.requestId, sockets }, socketsHaveBinary(sockets)),
          );
        }).catch((err) => log("describing the sockets failed: %s", (err as Error)?.message));
        return;
      }
      case RequestType.SERVER_SIDE_EMIT:
        return this.#receiveServerSideEmit(request);
      case RequestType.BROADCAST:
        return this.#receiveBroadcastWithAck(request);
    }
  }

  #receiveRemoteOperation(request: Request): void {
    // ours were applied here when issued
    if (request.uid === this.uid) return;
    const opts = request.opts;
    if (opts && typeof opts === "object") {
      const decoded = decodeOptions(opts);
      const rooms = Array.isArray(request.rooms) ? request.rooms.map(String) : [];
      if (request.type === RequestType.REMOTE_JOIN) super.addSockets(decoded, rooms);
      else if (request.type === RequestType.REMOTE_LEAVE) super.delSockets(decoded, rooms);
      else super.disconnectSockets(decoded, request.close === true);
      return;
    }
    // the legacy single-socket form (sid, room), which answers
    const socket = this.nsp.sockets.get(String(request.sid));
    if (!socket) return;
    if (request.type === RequestType.REMOTE_JOIN) void socket.join(String(request.room));
    else if (request.type === RequestType.REMOTE_LEAVE) void socket.leave(String(request.room));
    else socket.disconnect(request.close === true);
    this.#respond(request, stringify({ requestId: request.requestId }));
  }

  #receiveServerSideEmit(request: Request): void {
    if (request.uid === this.uid || !Array.isArray(request.data)) return;
    const nsp = this.nsp as AdapterNamespace & { _onServerSideEmit?(args: unknown[]): void };
    const args = [...request.data];
    if (request.requestId !== undefined) {
      let called = false;
      args.push((arg: unknown) => {
        if (called) return;
        called = true;
        // always the common channel, as the official adapter does
        this.#publish(
          this.#responseChannel,
          stringify({
            type: RequestType.SERVER_SIDE_EMIT,
            requestId: request.requestId,
            data: arg,
          }),
        );
      });
    }
    nsp._onServerSideEmit?.(args);
  }

  #receiveBroadcastWithAck(request: Request): void {
    const requestId = request.requestId;
    if (typeof requestId !== "string" || this.#ackRequests.has(requestId)) return;
    const packet = request.packet as Record<string, unknown> | undefined;
    if (!packet || typeof packet !== "object" || !Array.isArray(packet.data)) return;
    const opts = decodeOptions(request.opts);
    delete opts.flags;
    super.broadcastWithAck(
      { type: packet.type, data: packet.data, nsp: this.nsp.name } as Packet,
      opts,
      (clientCount) =>
        this.#respond(
          request,
          stringify({ type: RequestType.BROADCAST_CLIENT_COUNT, requestId, clientCount }),
        ),
      (arg) =>
        this.#respond(
          request,
          this.#parser.encode({ type: RequestType.BROADCAST_ACK, requestId, packet: arg }),
        ),
    );
  }

  #respond(request: Request, response: Uint8Array | string): void {
    const channel = this.publishOnSpecificResponseChannel
      ? specificResponseChannel(this.#channels, String(request.uid))
      : this.#responseChannel;
    this.#publish(channel, response);
  }

  #receiveResponse(message: Uint8Array): void {
    // every server reads the common response channel: an answer to another server's request
    // (a fetchSockets answer can be tens of KB) is dropped without being decoded
    const peeked = peekRequestId(message);
    if (peeked !== undefined && !this.#requests.has(peeked) && !this.#ackRequests.has(peeked)) {
      return;
    }
    const response = this.#decodeRequest(message);
    if (!response) return;
    const requestId = response.requestId;
    const ackRequest = typeof requestId === "string" ? this.#ackRequests.get(requestId) : undefined;
    if (ackRequest) {
      if (response.type === RequestType.BROADCAST_CLIENT_COUNT) {
        ackRequest.clientCountCallback(Number(response.clientCount) || 0);
      } else if (response.type === RequestType.BROADCAST_ACK) {
        ackRequest.ack(response.packet);
      }
      return;
    }
    switch (this.#requests.kind(requestId)) {
      case "sockets":
      case "fetch":
        return this.#requests.answer(
          requestId,
          Array.isArray(response.sockets) ? response.sockets : [],
        );
      case "rooms":
        return this.#requests.answer(
          requestId,
          Array.isArray(response.rooms) ? response.rooms : [],
        );
      case "serverSideEmit":
        return this.#requests.answer(requestId, [response.data]);
    }
  }

  /** Sends `packet` expecting acks from every matching client of every server. */
  override broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    if (!opts.flags?.local) {
      const requestId = shortId(6);
      // encoded before the local broadcast stamps the packet with this server's ack id
      const request = this.#parser.encode({
        uid: this.uid,
        requestId,
        type: RequestType.BROADCAST,
        packet: this.#wirePacket(packet),
        opts: encodeOptions({ ...opts, except: new Set(opts.except ?? []) }),
      });
      const timer = this.#clock.setTimeout(
        () => this.#ackRequests.delete(requestId),
        opts.flags?.timeout ?? 0,
      );
      this.#ackRequests.set(requestId, { clientCountCallback, ack, timer });
      this.#publish(this.#requestChannel, request);
    }
    super.broadcastWithAck(packet, opts, clientCountCallback, ack);
  }

  /** Every room of every server. */
  async allRooms(): Promise<Set<Room>> {
    const found = await new Promise<Room[]>((resolve, reject) => {
      this.#requests.ask<Room>({
        kind: "rooms",
        newId: () => shortId(6),
        results: [...this.rooms.keys()],
        timeoutMs: this.requestsTimeout,
        timeoutError: () => new Error("timeout reached while waiting for allRooms response"),
        serverCount: () => this.serverCount(),
        publish: (requestId) =>
          this.#publish(
            this.#requestChannel,
            stringify({ uid: this.uid, requestId, type: RequestType.ALL_ROOMS }),
          ),
      }, (err, results) => (err ? reject(err) : resolve(results)));
    });
    return new Set(found);
  }

  /** The matching sockets of every server (others as {@link SocketDetails}). */
  override async fetchSockets(opts: BroadcastOptions): Promise<(AdapterSocket | SocketDetails)[]> {
    const local = await super.fetchSockets(opts);
    if (opts.flags?.local) return local;
    return await new Promise((resolve, reject) => {
      this.#requests.ask<AdapterSocket | SocketDetails>({
        kind: "fetch",
        newId: () => shortId(6),
        results: local,
        timeoutMs: this.requestsTimeout,
        timeoutError: () => new Error("timeout reached while waiting for fetchSockets response"),
        serverCount: () => this.serverCount(),
        publish: (requestId) =>
          this.#publish(
            this.#requestChannel,
            stringify({
              uid: this.uid,
              requestId,
              type: RequestType.REMOTE_FETCH,
              opts: encodeOptions(opts, false),
            }),
          ),
      }, (err, results) => (err ? reject(err) : resolve(results)));
    });
  }

  #remoteOperation(type: number, opts: BroadcastOptions, extra: Record<string, unknown>): void {
    this.#publish(
      this.#requestChannel,
      stringify({ uid: this.uid, type, opts: encodeOptions(opts, false), ...extra }),
    );
  }

  /** Makes the matching sockets of every server join `rooms`. */
  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    if (!opts.flags?.local) this.#remoteOperation(RequestType.REMOTE_JOIN, opts, { rooms });
    super.addSockets(opts, rooms);
  }

  /** Makes the matching sockets of every server leave `rooms`. */
  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    if (!opts.flags?.local) this.#remoteOperation(RequestType.REMOTE_LEAVE, opts, { rooms });
    super.delSockets(opts, rooms);
  }

  /** Disconnects the matching sockets of every server. */
  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    if (!opts.flags?.local) this.#remoteOperation(RequestType.REMOTE_DISCONNECT, opts, { close });
    super.disconnectSockets(opts, close);
  }

  /** Sends `[event, ...args, ack?]` to the other servers; an ack gets one answer per server. */
  override serverSideEmit(packet: unknown[]): void {
    const ack = packet[packet.length - 1];
    if (typeof ack !== "function") {
      return this.#publish(
        this.#requestChannel,
        stringify({ uid: this.uid, type: RequestType.SERVER_SIDE_EMIT, data: packet }),
      );
    }
    const data = packet.slice(0, -1);
    serverSideEmitWithAck(
      this.#requests,
      () => this.serverCount(),
      () => shortId(6),
      this.requestsTimeout,
      ack as (err: Error | null, responses: unknown[]) => void,
      (requestId) =>
        this.#publish(
          this.#requestChannel,
          stringify({ uid: this.uid, requestId, type: RequestType.SERVER_SIDE_EMIT, data }),
        ),
    );
  }

  /** How many servers serve this namespace: the subscribers of its request channel. */
  override serverCount(): Promise<number> {
    return this.#pub.numsub("NUMSUB", this.#requestChannel);
  }
}
