/**
 * The cluster base: an adapter that reaches the other servers through some
 * transport, speaking the message protocol of the official
 * `ClusterAdapter` (socket.io-adapter 2.5): message types 1–13,
 * `{ uid, nsp, type, data }`. A transport subclass publishes
 * ({@link ClusterAdapter.doPublish}, {@link ClusterAdapter.doPublishResponse})
 * and hands what it receives to {@link ClusterAdapter.onMessage}.
 *
 * @module
 */

import type { Packet } from "../parser/socket_packet.ts";
import type { Clock, TimerHandle } from "../util/clock.ts";
import { createLogger } from "../util/logger.ts";
import {
  Adapter,
  type AdapterNamespace,
  type AdapterSocket,
  type BroadcastOptions,
  type Room,
  type SocketDetails,
} from "./adapter.ts";
import {
  decodeOptions,
  describeSocket,
  encodeOptions,
  hexId,
  PendingRequests,
  responsesTimeoutError,
  serverSideEmitWithAck,
} from "./cluster_wire.ts";
import { isRecoverable } from "./session_aware_adapter.ts";

const log = createLogger("sio-edge:cluster");

/** The message types of the official ClusterAdapter. */
export const MessageType = {
  INITIAL_HEARTBEAT: 1,
  HEARTBEAT: 2,
  BROADCAST: 3,
  SOCKETS_JOIN: 4,
  SOCKETS_LEAVE: 5,
  DISCONNECT_SOCKETS: 6,
  FETCH_SOCKETS: 7,
  FETCH_SOCKETS_RESPONSE: 8,
  SERVER_SIDE_EMIT: 9,
  SERVER_SIDE_EMIT_RESPONSE: 10,
  BROADCAST_CLIENT_COUNT: 11,
  BROADCAST_ACK: 12,
  ADAPTER_CLOSE: 13,
} as const;

/** A message between servers. */
export interface ClusterMessage {
  /** The type, one of {@link MessageType}. */
  type: number;
  /** The payload, by type. */
  data?: Record<string, unknown>;
  /** The sender's uid (set when published). */
  uid?: string;
  /** The namespace (set when published). */
  nsp?: string;
}

/** Options every cluster adapter takes. */
export interface ClusterAdapterOptions {
  /**
   * How long `fetchSockets()` (without its own timeout) and
   * `serverSideEmitWithAck()` wait for the other servers (ms).
   * @default 5000
   */
  requestsTimeout?: number;
}

interface AckRequest {
  clientCountCallback(count: number): void;
  ack(...args: unknown[]): void;
  timer: TimerHandle;
}

/** The types whose `data` may carry binary (and are then sent as msgpack by some transports). */
export const MAY_CONTAIN_BINARY: ReadonlySet<number> = new Set([
  MessageType.BROADCAST,
  MessageType.BROADCAST_ACK,
  MessageType.FETCH_SOCKETS_RESPONSE,
  MessageType.SERVER_SIDE_EMIT,
  MessageType.SERVER_SIDE_EMIT_RESPONSE,
]);

/**
 * A cluster-ready adapter. Unlike the classic Redis adapter, it applies
 * joins, leaves, disconnects and broadcasts here right away and publishes them
 * for the others; it ignores its own messages by uid.
 */
export abstract class ClusterAdapter extends Adapter {
  /** This server's id on the wire (16 hex characters). */
  readonly uid: string = hexId(8);
  /** How long requests wait for the other servers (ms). */
  readonly requestsTimeout: number;
  #requests: PendingRequests;
  #ackRequests = new Map<string, AckRequest>();
  #clock: Clock;

  /** Makes the adapter of `nsp`. */
  constructor(nsp: AdapterNamespace, opts: ClusterAdapterOptions = {}) {
    super(nsp);
    this.requestsTimeout = opts.requestsTimeout || 5000;
    this.#clock = nsp._adapterContext.clock;
    this.#requests = new PendingRequests(this.#clock);
  }

  /** Publishes a message to every server; resolves with its offset ("" when the transport has none). */
  protected abstract doPublish(message: ClusterMessage): Promise<string>;

  /** Publishes a response to the server `requesterUid`. */
  protected abstract doPublishResponse(
    requesterUid: string,
    response: ClusterMessage,
  ): Promise<void>;

  /** Whether the transport gives every message an offset (a stream does; pub/sub does not). */
  protected get hasOffsets(): boolean {
    return false;
  }

  /** Whether EVENT broadcasts carry offsets: the transport has them and the server recovers sessions. */
  protected get recovery(): boolean {
    return this.hasOffsets && this.nsp._adapterContext.maxDisconnectionDuration > 0;
  }

  /** Settles what still waits; subclasses unsubscribe, then call this. */
  override close(): Promise<void> | void {
    this.#requests.closeAll(new Error("the adapter was closed"));
    for (const request of this.#ackRequests.values()) this.#clock.clearTimeout(request.timer);
    this.#ackRequests.clear();
  }

  #publish(message: ClusterMessage): Promise<string> {
    message.uid = this.uid;
    message.nsp = this.nsp.name;
    return this.doPublish(message).catch((err) => {
      log("[%s] publishing a message of type %d failed: %s", this.uid, message.type, err?.message);
      return "";
    });
  }

  #respond(requesterUid: string, response: ClusterMessage): void {
    response.uid = this.uid;
    response.nsp = this.nsp.name;
    this.doPublishResponse(requesterUid, response).catch((err) =>
      log("[%s] publishing a response failed: %s", this.uid, err?.message)
    );
  }

  /** Whether a broadcast gets an offset for recovery: an EVENT, without ack, not volatile. */
  #storable(packet: Packet, opts: BroadcastOptions): boolean {
    return this.recovery && isRecoverable(packet, opts);
  }

  /**
   * Sends to the matching sockets here and publishes for the other servers.
   * With recovery, the local send waits for the offset, which every EVENT
   * carries as its last argument.
   */
  override broadcast(packet: Packet, opts: BroadcastOptions): void | Promise<void> {
    if (opts.flags?.local) return super.broadcast(packet, opts);
    const published = this.#publish({
      type: MessageType.BROADCAST,
      data: { packet: { type: packet.type, data: packet.data }, opts: encodeOptions(opts) },
    });
    if (!this.#storable(packet, opts)) return super.broadcast(packet, opts);
    return published.then((offset) => {
      super.broadcast({ ...packet, data: [...(packet.data as unknown[]), offset] }, opts);
    });
  }

  /** Sends expecting acks from every matching client of every server. */
  override broadcastWithAck(
    packet: Packet,
    opts: BroadcastOptions,
    clientCountCallback: (clientCount: number) => void,
    ack: (...args: unknown[]) => void,
  ): void {
    if (!opts.flags?.local) {
      const requestId = hexId(8);
      const timer = this.#clock.setTimeout(
        () => this.#ackRequests.delete(requestId),
        opts.flags?.timeout ?? 0,
      );
      this.#ackRequests.set(requestId, { clientCountCallback, ack, timer });
      // built before the local send stamps the packet with this server's ack id
      void this.#publish({
        type: MessageType.BROADCAST,
        data: {
          packet: { type: packet.type, data: packet.data },
          requestId,
          opts: encodeOptions(opts),
        },
      });
    }
    super.broadcastWithAck(packet, opts, clientCountCallback, ack);
  }

  /** Makes the matching sockets of every server join `rooms`. */
  override addSockets(opts: BroadcastOptions, rooms: Room[]): void {
    if (!opts.flags?.local) {
      void this.#publish({
        type: MessageType.SOCKETS_JOIN,
        data: { opts: encodeOptions(opts), rooms },
      });
    }
    super.addSockets(opts, rooms);
  }

  /** Makes the matching sockets of every server leave `rooms`. */
  override delSockets(opts: BroadcastOptions, rooms: Room[]): void {
    if (!opts.flags?.local) {
      void this.#publish({
        type: MessageType.SOCKETS_LEAVE,
        data: { opts: encodeOptions(opts), rooms },
      });
    }
    super.delSockets(opts, rooms);
  }

  /** Disconnects the matching sockets of every server. */
  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    if (!opts.flags?.local) {
      void this.#publish({
        type: MessageType.DISCONNECT_SOCKETS,
        data: { opts: encodeOptions(opts), close },
      });
    }
    super.disconnectSockets(opts, close);
  }

  /** The matching sockets of every server (others as {@link SocketDetails}). */
  override async fetchSockets(opts: BroadcastOptions): Promise<(AdapterSocket | SocketDetails)[]> {
    const local = await super.fetchSockets(opts);
    if (opts.flags?.local) return local;
    return await new Promise((resolve, reject) => {
      this.#requests.ask<AdapterSocket | SocketDetails>({
        kind: "fetch",
        newId: () => hexId(8),
        results: local,
        timeoutMs: opts.flags?.timeout || this.requestsTimeout,
        timeoutError: responsesTimeoutError,
        serverCount: () => this.serverCount(),
        publish: (requestId) =>
          void this.#publish({
            type: MessageType.FETCH_SOCKETS,
            data: { opts: encodeOptions(opts), requestId },
          }),
      }, (err, results) => (err ? reject(err) : resolve(results)));
    });
  }

  /** Sends `[event, ...args, ack?]` to the other servers; an ack gets one answer per server. */
  override serverSideEmit(packet: unknown[]): void {
    const ack = packet[packet.length - 1];
    if (typeof ack !== "function") {
      void this.#publish({ type: MessageType.SERVER_SIDE_EMIT, data: { packet } });
      return;
    }
    const args = packet.slice(0, -1);
    serverSideEmitWithAck(
      this.#requests,
      () => this.serverCount(),
      () => hexId(8),
      this.requestsTimeout,
      ack as (err: Error | null, responses: unknown[]) => void,
      (requestId) =>
        void this.#publish({
          type: MessageType.SERVER_SIDE_EMIT,
          data: { requestId, packet: args },
        }),
    );
  }

  /**
   * A message from another server (or from an emitter): applied here. Response
   * types are forwarded to {@link ClusterAdapter.onResponse}, so a transport
   * may hand everything to this method. `offset` is the message's position
   * for recovery.
   */
  protected onMessage(message: ClusterMessage, offset?: string): void {
    if (!message || typeof message !== "object") return;
    if (message.uid === this.uid || message.nsp !== this.nsp.name) return;
    const data = (message.data ?? {}) as Record<string, unknown>;
    switch (message.type) {
      case MessageType.BROADCAST:
        return this.#receiveBroadcast(message.uid, data, offset);
      case MessageType.SOCKETS_JOIN:
        return super.addSockets(decodeOptions(data.opts), roomsOf(data.rooms));
      case MessageType.SOCKETS_LEAVE:
        return super.delSockets(decodeOptions(data.opts), roomsOf(data.rooms));
      case MessageType.DISCONNECT_SOCKETS:
        return super.disconnectSockets(decodeOptions(data.opts), data.close === true);
      case MessageType.FETCH_SOCKETS: {
        const requester = String(message.uid);
        void super.fetchSockets(decodeOptions(data.opts)).then((found) => {
          this.#respond(requester, {
            type: MessageType.FETCH_SOCKETS_RESPONSE,
            data: {
              requestId: data.requestId,
              sockets: (found as AdapterSocket[]).map(describeSocket),
            },
          });
        });
        return;
      }
      case MessageType.SERVER_SIDE_EMIT:
        return this.#receiveServerSideEmit(String(message.uid), data);
      case MessageType.FETCH_SOCKETS_RESPONSE:
      case MessageType.SERVER_SIDE_EMIT_RESPONSE:
      case MessageType.BROADCAST_CLIENT_COUNT:
      case MessageType.BROADCAST_ACK:
        return this.onResponse(message);
    }
  }

  #receiveBroadcast(uid: unknown, data: Record<string, unknown>, offset?: string): void {
    const wire = data.packet as Record<string, unknown> | undefined;
    if (!wire || typeof wire !== "object" || !Array.isArray(wire.data)) return;
    const packet = { type: wire.type, data: wire.data, nsp: this.nsp.name } as Packet;
    const opts = decodeOptions(data.opts);
    const requestId = data.requestId;
    if (requestId === undefined) {
      if (offset !== undefined && this.#storable(packet, opts)) {
        packet.data = [...(packet.data as unknown[]), offset];
      }
      return super.broadcast(packet, opts);
    }
    const requester = String(uid);
    super.broadcastWithAck(
      packet,
      opts,
      (clientCount) =>
        this.#respond(requester, {
          type: MessageType.BROADCAST_CLIENT_COUNT,
          data: { requestId, clientCount },
        }),
      (arg) =>
        this.#respond(requester, {
          type: MessageType.BROADCAST_ACK,
          data: { requestId, packet: arg },
        }),
    );
  }

  #receiveServerSideEmit(requester: string, data: Record<string, unknown>): void {
    if (!Array.isArray(data.packet)) return;
    const nsp = this.nsp as AdapterNamespace & { _onServerSideEmit?(args: unknown[]): void };
    const args = [...data.packet];
    if (data.requestId !== undefined) {
      let called = false;
      args.push((arg: unknown) => {
        if (called) return;
        called = true;
        this.#respond(requester, {
          type: MessageType.SERVER_SIDE_EMIT_RESPONSE,
          data: { requestId: data.requestId, packet: arg },
        });
      });
    }
    nsp._onServerSideEmit?.(args);
  }

  /** A response to one of this server's requests. */
  protected onResponse(response: ClusterMessage): void {
    const data = (response?.data ?? {}) as Record<string, unknown>;
    const requestId = data.requestId;
    switch (response.type) {
      case MessageType.BROADCAST_CLIENT_COUNT:
        return this.#ackRequests.get(String(requestId))?.clientCountCallback(
          Number(data.clientCount) || 0,
        );
      case MessageType.BROADCAST_ACK:
        return this.#ackRequests.get(String(requestId))?.ack(data.packet);
      case MessageType.FETCH_SOCKETS_RESPONSE:
        return this.#requests.answer(requestId, Array.isArray(data.sockets) ? data.sockets : []);
      case MessageType.SERVER_SIDE_EMIT_RESPONSE:
        return this.#requests.answer(requestId, [data.packet]);
    }
  }
}

function roomsOf(value: unknown): Room[] {
  return Array.isArray(value) ? value.map(String) : [];
}
