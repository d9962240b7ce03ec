/**
 * An Engine.IO session: the heartbeat, the write buffer, the transport and the
 * upgrade from polling to WebSocket.
 *
 * @module
 */

import { Emitter } from "../util/emitter.ts";
import { createLogger } from "../util/logger.ts";
import type { Clock } from "../util/clock.ts";
import {
  messageFrame,
  type Packet,
  type PacketOptions,
  type PacketType,
} from "../parser/engine_packet.ts";
import {
  Heartbeat,
  type HeartbeatCallbacks,
  type HeartbeatState,
  type HeartbeatTiming,
} from "./heartbeat.ts";
import { Upgrade, type UpgradingSession } from "./_upgrade.ts";
import type { Transport, TransportName, TransportSink } from "./transport.ts";
import type { WebSocketLike } from "./ports.ts";
import { WebSocketTransport } from "./websocket.ts";
import type { ReceivedBytes } from "./_received.ts";
import { requestFromHead, type RequestHead, requestHead } from "./request_head.ts";

/** The session's lifecycle. */
export type ReadyState = "opening" | "open" | "closing" | "closed";

/** Options for {@link EngineSocket.send}: the codec's per-packet options. */
export type SendOptions = PacketOptions;

/** Events of an Engine.IO session. */
export type EngineSocketEvents = {
  /** The session is open (the open packet is queued). */
  open: () => void;
  /** A message from the client: text, or binary as a `Buffer` on Node and Bun, a `Uint8Array` elsewhere. */
  message: (data: string | Uint8Array) => void;
  /** Any packet from the client. */
  packet: (packet: Packet) => void;
  /** A packet is about to be queued for the client. */
  packetCreate: (packet: Packet) => void;
  /** The client answered a ping. */
  heartbeat: () => void;
  /** Queued packets are about to be written. */
  flush: (packets: Packet[]) => void;
  /** Queued packets were handed to the transport. */
  drain: () => void;
  /** A WebSocket answered the probe; the upgrade is under way. */
  upgrading: (transport: Transport) => void;
  /** The session now runs on the new transport. */
  upgrade: (transport: Transport) => void;
  /** The session ended, with the official reason. */
  close: (reason: string, description?: unknown) => void;
  /** A transport failure, before the `close` it causes. */
  error: (error: Error) => void;
};

/** What a session needs from its server. */
export interface SessionSettings {
  readonly pingInterval: number;
  readonly pingTimeout: number;
  readonly upgradeTimeout: number;
  readonly maxPayload: number;
  /** The most bytes queued for the client; over it the session ends. @default Infinity */
  readonly maxBufferedBytes?: number | undefined;
  readonly upgrades: readonly TransportName[];
  readonly initialPacket: string | Uint8Array | undefined;
  /**
   * What received binary becomes before anyone sees it (engine/_received.ts:
   * a `Buffer` on Node and Bun, a plain `Uint8Array` elsewhere); as the
   * transport gave it when absent.
   */
  readonly receivedBytes?: ReceivedBytes | undefined;
  readonly clock: Clock;
  /** The clock of the ping interval and pong timeout; `clock` when absent. */
  readonly heartbeatClock?: Clock | undefined;
  /**
   * Called once as a session closes, before its `close` event: how the server
   * forgets it (one function for every session, not a listener each).
   */
  readonly closed?: ((session: EngineSocket) => void) | undefined;
}

export type { HeartbeatState };

/**
 * Internal: the one owner of a session's messages (the Socket.IO `Client`),
 * told of a message, a failure and the close before the `message`, `error`
 * and `close` listeners: one object per session in place of three listeners,
 * their table and a closure to remove them.
 */
export interface SessionOwner {
  /** A message from the client (as the `message` event). */
  _onSessionMessage(data: string | Uint8Array): void;
  /** A transport failure (as the `error` event, which fires only when someone listens). */
  _onSessionError(error: Error): void;
  /** The session ended (as the `close` event). */
  _onSessionClose(reason: string, description?: unknown): void;
}

const debug = createLogger("sio-edge:engine:socket");

// module-private entry points into EngineSocket, set by its static block
let sessionPacket!: (session: EngineSocket, packet: Packet) => void;
let sessionReady!: (session: EngineSocket) => void;
let sessionPing!: (session: EngineSocket) => void;

/**
 * One Engine.IO session, as the server's `connection` event hands it over.
 *
 * @example
 * ```ts ignore
 * engine.on("connection", (socket) => {
 *   socket.on("message", (data) => socket.send(data));
 * });
 * ```
 */
export class EngineSocket extends Emitter<EngineSocketEvents> {
  /** The session id (sid). */
  readonly id: string;
  /** The Engine.IO protocol revision: 4, or 3 for a v3 client (`allowEIO3`). */
  readonly protocol: 3 | 4;
  /** The client's IP address, where the runtime reports it. */
  readonly remoteAddress: string;
  /** Whether the session moved to WebSocket. */
  upgraded = false;
  /** Internal: the session's owner (see {@link SessionOwner}), told before the listeners. */
  _owner: SessionOwner | undefined;

  #head: RequestHead;
  #request: Request | undefined;
  #readyState: ReadyState = "opening";
  #transport: Transport;
  #settings: SessionSettings;
  /** The packets waiting for the transport; made when one waits (an idle session has none). */
  #writeBuffer: Packet[] | undefined;
  /** About how many bytes `#writeBuffer` holds (UTF-16 units for text). */
  #buffered = 0;
  #sendCallbacks: (() => void)[] | undefined;
  #heartbeat: Heartbeat;
  /** The upgrade in progress, if any. */
  #upgrade: Upgrade | undefined;
  /** Whether anyone ever listened to `packetCreate`, `flush` or `drain`. */
  #watched = false;

  constructor(
    id: string,
    request: Request | RequestHead,
    remoteAddress: string,
    transport: Transport,
    settings: SessionSettings,
    protocol: 3 | 4 = 4,
  ) {
    super();
    this.id = id;
    this.protocol = protocol;
    // only the strings are kept: a Request holds much more memory per idle session
    this.#head = request instanceof Request ? requestHead(request) : request;
    this.remoteAddress = remoteAddress;
    this.#settings = settings;
    const sink = new SessionSink(this);
    this.#sink = sink;
    this.#heartbeat = new Heartbeat(timingOf(settings), sink);
    this.#transport = transport;
    this.#attach(transport);
  }

  /** What the transport and the heartbeat report to (one object, no closures). */
  readonly #sink: SessionSink;

  static {
    sessionPacket = (session, packet) => session.#onPacket(packet);
    sessionReady = (session) => session.#flush();
    sessionPing = (session) => session.#sendPacket("ping");
  }

  /** The handshake request (rebuilt, without body, at the first access). */
  get request(): Request {
    return this.#request ??= requestFromHead(this.#head);
  }

  /** What the session keeps of its handshake request (what a host persists). */
  get requestHead(): RequestHead {
    return this.#head;
  }

  /** Whether an upgrade is in progress. */
  get upgrading(): boolean {
    return this.#upgrade !== undefined;
  }

  /** The session's state. */
  get readyState(): ReadyState {
    return this.#readyState;
  }

  /** The current transport. */
  get transport(): Transport {
    return this.#transport;
  }

  /** The runtime's WebSocket while the session runs over one (what a hibernating host keeps). */
  get webSocket(): WebSocketLike | undefined {
    const transport = this.#transport;
    return transport instanceof WebSocketTransport ? transport.socket : undefined;
  }

  /**
   * The runtime's WebSocket while a frame written straight to it, past this
   * session (a runtime's native fan-out does that), reaches the client in
   * order with the session's own packets: the session is open and not
   * upgrading, on a writable WebSocket (nothing is buffered then), and no one
   * watches `packetCreate`, `flush` or `drain`, which such a frame skips.
   */
  get directWebSocket(): WebSocketLike | undefined {
    const transport = this.#transport;
    if (!(transport instanceof WebSocketTransport)) return undefined;
    if (this.#watched || !transport.writable) return undefined;
    return this.#readyState === "open" && !this.upgrading ? transport.socket : undefined;
  }

  /** Adds a listener; one for `packetCreate`, `flush` or `drain` turns the lean write paths off. */
  override on<E extends keyof EngineSocketEvents>(
    event: E,
    listener: EngineSocketEvents[E],
  ): this {
    if (event === "packetCreate" || event === "flush" || event === "drain") this.#watched = true;
    return super.on(event, listener);
  }

  /** Sends the open packet and starts the heartbeat (protocol v4: the server pings). */
  open(): void {
    const s = this.#settings;
    this.#readyState = "open";
    this.#sendPacket(
      "open",
      JSON.stringify({
        sid: this.id,
        upgrades: this.#transport.name === "polling" ? s.upgrades : [],
        pingInterval: s.pingInterval,
        pingTimeout: s.pingTimeout,
        maxPayload: s.maxPayload,
      }),
    );
    if (s.initialPacket !== undefined) this.#sendPacket("message", s.initialPacket);
    this.emit("open");
    // protocol v3: the client pings, the server answers
    if (this.protocol === 3) this.#heartbeat.startClientPings();
    else this.#heartbeat.start();
  }

  /** Sends a message: a string, or binary data. */
  send(
    data: string | Uint8Array | ArrayBuffer,
    options?: SendOptions,
    callback?: () => void,
  ): this {
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    this.#sendPacket("message", bytes, options, callback);
    return this;
  }

  /** Alias of {@link EngineSocket.send}. */
  write(
    data: string | Uint8Array | ArrayBuffer,
    options?: SendOptions,
    callback?: () => void,
  ): this {
    return this.send(data, options, callback);
  }

  /**
   * Closes the session: queued packets are written first, then the transport
   * closes and `close` fires with "forced close".
   */
  close(discard = false): void {
    if (discard && (this.#readyState === "open" || this.#readyState === "closing")) {
      this.#closeTransport(true);
      return;
    }
    if (this.#readyState !== "open") return;
    this.#readyState = "closing";
    if (this.#writeBuffer?.length) {
      this.once("drain", () => this.#closeTransport(discard));
      return;
    }
    this.#closeTransport(discard);
  }

  #closeTransport(discard: boolean): void {
    if (discard) this.#transport.discard();
    this.#transport.close(() => this.onClose("forced close"));
  }

  /** Ends the session with `reason`; idempotent. */
  onClose(reason: string, description?: unknown): void {
    if (this.#readyState === "closed") return;
    this.#readyState = "closed";
    this.#heartbeat.stop();
    this.#sendCallbacks = undefined;
    this.#clearTransport();
    debug("session %s closed: %s", this.id, reason);
    const closed = this.#settings.closed;
    if (closed) {
      try {
        closed(this);
      } catch (err) {
        this.onListenerError(err);
      }
    }
    const owner = this._owner;
    if (owner) {
      try {
        owner._onSessionClose(reason, description);
      } catch (err) {
        this.onListenerError(err);
      }
    }
    this.emit("close", reason, description);
    // a pending upgrade ends with its session
    this.#upgrade?.abort();
    this.#writeBuffer = undefined;
    this.#buffered = 0;
  }

  #sendPacket(
    type: PacketType,
    data?: string | Uint8Array,
    options?: SendOptions,
    callback?: () => void,
  ): void {
    if (this.#readyState === "closing" || this.#readyState === "closed") return;
    if (type === "message" && callback === undefined && this.#sendDirect(data!, options)) return;
    const packetOptions: PacketOptions = { compress: options?.compress !== false };
    if (options?.wsPreEncoded !== undefined) packetOptions.wsPreEncoded = options.wsPreEncoded;
    const packet: Packet = data === undefined
      ? { type, options: packetOptions }
      : { type, data, options: packetOptions };
    this.emit("packetCreate", packet);
    (this.#writeBuffer ??= []).push(packet);
    if (callback) (this.#sendCallbacks ??= []).push(callback);
    if (data !== undefined) {
      this.#buffered += typeof data === "string" ? data.length : data.byteLength;
      const limit = this.#settings.maxBufferedBytes ?? Infinity;
      if (this.#buffered > limit && !this.#transport.writable) {
        // a client that stopped polling while the server keeps sending
        this.onError("write buffer full", { buffered: this.#buffered, limit });
        return;
      }
    }
    this.#flush();
  }

  /**
   * The lean path of a message: straight to a writable WebSocket when nothing
   * is buffered and no one watches the packet events, which it skips.
   */
  #sendDirect(data: string | Uint8Array, options: SendOptions | undefined): boolean {
    const transport = this.#transport;
    if (!transport.writable || this.#writeBuffer?.length) return false;
    if (this.#watched || !(transport instanceof WebSocketTransport)) return false;
    // v3 frames binary with its type byte, and base64 makes it text: the packet path does those
    if ((transport.v3 || transport.base64) && typeof data !== "string") return false;
    // binary goes as a binary frame as it is
    transport.sendFrame(
      typeof data !== "string" ? data : options?.wsPreEncoded ?? messageFrame(data),
      options?.compress,
    );
    return true;
  }

  #flush(): void {
    const packets = this.#writeBuffer;
    if (this.#readyState === "closed" || !this.#transport.writable || !packets?.length) return;
    this.#writeBuffer = undefined;
    this.#buffered = 0;
    this.emit("flush", packets);
    const callbacks = this.#sendCallbacks;
    this.#sendCallbacks = undefined;
    this.#transport.send(packets);
    this.emit("drain");
    if (callbacks) { for (const cb of callbacks) cb(); }
  }

  #onPacket(packet: Packet): void {
    if (this.#readyState !== "open") return;
    // binary only (text packets skip it): the host's type, before `packet` and `message`
    if (typeof packet.data === "object") {
      const received = this.#settings.receivedBytes;
      if (received !== undefined) packet.data = received(packet.data);
    }
    this.emit("packet", packet);
    this.#heartbeat.onPacket();
    switch (packet.type) {
      case "ping":
        // protocol v4: only the server pings; v3: only the client does
        if (this.protocol !== 3) return this.onError("invalid heartbeat direction");
        this.#heartbeat.onPing();
        this.#sendPacket("pong");
        this.emit("heartbeat");
        return;
      case "pong":
        if (this.protocol === 3) return this.onError("invalid heartbeat direction");
        this.#heartbeat.onPong();
        this.emit("heartbeat");
        return;
      case "message": {
        const data = packet.data ?? "";
        const owner = this._owner;
        if (owner) {
          try {
            owner._onSessionMessage(data);
          } catch (err) {
            this.onListenerError(err);
          }
        }
        this.emit("message", data);
        return;
      }
    }
  }

  /**
   * A transport failure closes the session with "transport error"; the close
   * description is the error, shaped like the official server's TransportError.
   */
  onError(message: string, description?: unknown): void {
    if (this.#readyState === "closed") return;
    const error = Object.assign(new Error(message), { type: "TransportError", description });
    const owner = this._owner;
    if (owner) {
      try {
        owner._onSessionError(error);
      } catch (err) {
        this.onListenerError(err);
      }
    }
    if (this.listenerCount("error")) this.emit("error", error);
    this.onClose("transport error", error);
  }

  /** Where the heartbeat stands (what a host that may lose its memory keeps). */
  get heartbeat(): HeartbeatState {
    return this.#heartbeat.state;
  }

  /**
   * Takes over a session whose transport is already open, after the process
   * that served it went away (a Durable Object woken from hibernation; see
   * `EngineServer.adopt`): sends no open packet (nor the initial packet), and
   * carries the heartbeat on from `heartbeat` — an overdue ping or pong
   * deadline acts at once.
   */
  resume(heartbeat: HeartbeatState): void {
    if (this.#readyState !== "opening") {
      throw new TypeError("Cannot resume a session that was opened");
    }
    this.#readyState = "open";
    this.#heartbeat.resume(heartbeat);
  }

  #attach(transport: Transport): void {
    transport.maxBuffered = this.#settings.maxBufferedBytes ?? Infinity;
    transport.sink = this.#sink;
  }

  #clearTransport(): void {
    if (this.#transport.sink === this.#sink) this.#transport.sink = undefined;
    // nobody can reach this transport any more (the session is closed or
    // upgraded): an orderly close must not wait 30 s for a GET that never comes
    this.#transport.discard();
    this.#transport.close();
    // as the official server: a change of transport forgets the pending pong deadline
    this.#heartbeat.clearPongTimeout();
  }

  /** Runs the server side of an upgrade to `next` (see `_upgrade.ts`). */
  maybeUpgrade(next: Transport): void {
    const { clock, upgradeTimeout } = this.#settings;
    this.#upgrade = new Upgrade(this.#upgradingSession(), next, clock, upgradeTimeout);
  }

  /** What the upgrade sees of this session, and how it reports back. */
  #upgradingSession(): UpgradingSession {
    return {
      transport: () => this.#transport,
      closed: () => this.#readyState === "closed",
      probed: (next) => this.emit("upgrading", next),
      completed: (next) => this.#switchTo(next),
      ended: () => void (this.#upgrade = undefined),
    };
  }

  /** Moves the session onto the upgraded transport and flushes what waited. */
  #switchTo(next: Transport): void {
    this.#transport.replaced();
    // discarding a polling transport ends a close that was waiting for a GET
    if (this.#readyState === "closed") {
      next.close();
      return;
    }
    this.upgraded = true;
    this.#clearTransport();
    this.#transport = next;
    this.#attach(next);
    debug("session %s upgraded to websocket", this.id);
    this.emit("upgrade", next);
    this.#flush();
    if (this.#readyState === "closing") next.close(() => this.onClose("forced close"));
  }
}

/**
 * What a session's transport and heartbeat report to: one object per session
 * in place of five transport listeners, a closure to remove them and two
 * heartbeat callbacks.
 */
class SessionSink implements TransportSink, HeartbeatCallbacks {
  readonly #session: EngineSocket;

  constructor(session: EngineSocket) {
    this.#session = session;
  }

  onPacket(packet: Packet): void {
    sessionPacket(this.#session, packet);
  }

  onReady(): void {
    sessionReady(this.#session);
  }

  onParseError(): void {
    this.#session.onClose("parse error");
  }

  onError(message: string, description?: unknown): void {
    this.#session.onError(message, description);
  }

  onClose(): void {
    this.#session.onClose("transport close");
  }

  ping(): void {
    sessionPing(this.#session);
  }

  dead(): void {
    this.#session.onClose("ping timeout");
  }
}

/** The heartbeat timing of the sessions of one server's settings: one object for all of them. */
const timings = new WeakMap<SessionSettings, HeartbeatTiming>();

function timingOf(settings: SessionSettings): HeartbeatTiming {
  let timing = timings.get(settings);
  if (!timing) {
    timing = {
      clock: settings.heartbeatClock ?? settings.clock,
      pingInterval: settings.pingInterval,
      pingTimeout: settings.pingTimeout,
    };
    timings.set(settings, timing);
  }
  return timing;
}
