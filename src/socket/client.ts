/**
 * One Socket.IO client per Engine.IO session: it decodes the session's
 * messages, connects the client to namespaces, routes packets to the right
 * socket and closes a session that never connects.
 *
 * @module
 */

import { Decoder, ParseError } from "../parser/socket_decoder.ts";
import { encodePacket, type Packet, PacketType } from "../parser/socket_packet.ts";
import type { PacketDecoder, PacketEncoder, Parser } from "../parser/parser.ts";
import type { EncodedPacket, WriteOptions } from "../adapter/adapter.ts";
import type { EngineSocket } from "../engine/socket.ts";
import type { Clock, TimerHandle } from "../util/clock.ts";
import { reportListenerError } from "../util/emitter.ts";
import { createLogger } from "../util/logger.ts";
import type { DisconnectReason, SocketState } from "./socket_types.ts";
import type { EventsMap } from "./typed_events.ts";
import { type HandshakeRequest, handshakeRequest } from "./_handshake.ts";

const debug = createLogger("sio-edge:socket:client");

/**
 * What a client needs of one of its sockets (the `Socket` class fits it):
 * declared here so the client names no class above it.
 */
export interface ClientSocket {
  /** The socket id. */
  readonly id: string;
  /** Its namespace's name. */
  readonly nsp: { readonly name: string };
  /** Leaves the namespace. */
  disconnect(): unknown;
  /** A packet for this socket's namespace. */
  _onpacket(packet: Packet): void;
  /** The connection failed. */
  _onerror(err: Error): void;
  /** The connection closed. */
  _onclose(reason: DisconnectReason, description?: unknown): void;
}

/** What a client needs of a namespace (the `Namespace` class fits it). */
export interface ClientNamespace<
  L extends EventsMap,
  E extends EventsMap,
  S extends EventsMap,
  D,
> {
  /** The namespace name. */
  readonly name: string;
  /** Admits a socket of `client` (middlewares, recovery); `fn` gets it once connected. */
  _add(
    client: Client<L, E, S, D>,
    auth: Record<string, unknown>,
    fn: (socket: ClientSocket) => void,
  ): Promise<void>;
  /** Takes back a socket a host kept while its process was suspended. */
  _resume(client: Client<L, E, S, D>, state: SocketState, fn: (socket: ClientSocket) => void): void;
}

/** What a client needs from its server. */
export interface ClientContext<L extends EventsMap, E extends EventsMap, S extends EventsMap, D> {
  /** The clock for the connect timeout. */
  readonly clock: Clock;
  /** How long a session may stay without namespace (ms). */
  connectTimeout(): number;
  /** The deepest nesting a client's packet may have (the decoder's `maxDepth`). */
  readonly maxDepth: number;
  /** The custom parser (the built-in JSON codec when undefined). */
  readonly parser?: Parser | undefined;
  /** The server's one encoder of that parser. */
  readonly encoder?: PacketEncoder | undefined;
  /** Finds (or, through a parent namespace, creates) namespace `name`; `undefined` if none. */
  lookupNamespace(
    name: string,
    auth: Record<string, unknown>,
    fn: (nsp: ClientNamespace<L, E, S, D> | undefined) => void,
  ): void;
}

/**
 * The Socket.IO side of one Engine.IO session. Sockets of several namespaces
 * may share it (multiplexing).
 */
export class Client<L extends EventsMap, E extends EventsMap, S extends EventsMap, D> {
  /** The Engine.IO session. */
  readonly conn: EngineSocket;
  /** The Engine.IO session id (never shared with other clients). */
  readonly id: string;
  #handshakeRequest: HandshakeRequest | undefined;
  #context: ClientContext<L, E, S, D>;
  #decoder: Decoder | undefined;
  #custom: PacketDecoder | undefined;
  /**
   * The sockets by id and by namespace name. Most clients join one namespace:
   * its socket waits in {@link #first} (224 B of JSC Map storage less per Map
   * and connection on Bun), and the two Maps exist only from a second socket
   * on, holding every socket from then on.
   */
  #sockets: Map<string, ClientSocket> | undefined;
  #nsps: Map<string, ClientSocket> | undefined;
  #first: ClientSocket | undefined;
  #connectTimer: TimerHandle | undefined;

  /** Takes over the session `conn`. */
  constructor(context: ClientContext<L, E, S, D>, conn: EngineSocket) {
    this.#context = context;
    if (context.parser) {
      this.#custom = new context.parser.Decoder();
      this.#custom.on("decoded", (packet) => this.#onDecoded(packet));
    } else {
      this.#decoder = new Decoder({ maxDepth: context.maxDepth });
    }
    this.conn = conn;
    this.id = conn.id;
    // told before the session's listeners, as the first listeners were (no closures)
    conn._owner = this;
    // a Socket.IO v2 client (Engine.IO v3) is in the main namespace at once, as officially
    if (conn.protocol === 3) {
      this.#connect("/", {});
      return;
    }
    this.#connectTimer = context.clock.setTimeout(() => {
      this.#connectTimer = undefined;
      if (this.#first || this.#nsps?.size) return;
      debug("no namespace joined within connectTimeout, closing %s", this.id);
      this.#close("forced server close");
    }, context.connectTimeout());
  }

  /** The request that opened the session. */
  get request(): Request {
    return this.conn.request;
  }

  /**
   * Internal: what the sockets' handshakes keep of the connection's request,
   * parsed at the first socket's first `handshake` read and shared by every
   * namespace (the request head it is read from does not change).
   */
  get _handshakeRequest(): HandshakeRequest {
    return this.#handshakeRequest ??= handshakeRequest(this.conn.requestHead);
  }

  /** Internal (the session's owner): a message. */
  _onSessionMessage(data: string | Uint8Array): void {
    this.#onMessage(data);
  }

  /** Internal (the session's owner): a transport failure. */
  _onSessionError(err: Error): void {
    this.#onError(err);
  }

  /** Internal (the session's owner): the session closed. */
  _onSessionClose(reason: string, description?: unknown): void {
    this.#onClose(reason as DisconnectReason, description);
  }

  /** Encodes and writes one packet, if the session is open. */
  _packet(packet: Packet, opts: WriteOptions = {}): void {
    if (this.conn.readyState !== "open") return;
    const encoder = this.#context.encoder;
    this._writeEncoded(encoder ? encoder.encode(packet) : encodePacket(packet), opts);
  }

  /**
   * Writes an encoded packet (the text part, then each attachment). `opts` is
   * handed to the engine as is: a broadcast shares one object among every
   * recipient, and only a single-part packet carries `wsPreEncoded`.
   */
  _writeEncoded(encoded: EncodedPacket, opts: WriteOptions): void {
    if (this.conn.readyState !== "open") return;
    if (opts.volatile) {
      const transport = this.conn.transport;
      // a client that does not keep up gets no volatile packet (backpressure)
      if (!transport.writable || transport.congested) return;
    }
    for (const part of encoded) this.conn.send(part, opts);
  }

  /** Forgets `socket` (it left its namespace). */
  _remove(socket: ClientSocket): void {
    if (!this.#sockets) {
      if (this.#first === socket) this.#first = undefined;
      return;
    }
    if (this.#sockets.get(socket.id) !== socket) return;
    this.#sockets.delete(socket.id);
    this.#nsps!.delete(socket.nsp.name);
  }

  /** Every socket of this client, in the order they joined (a copy). */
  #all(): ClientSocket[] {
    if (this.#sockets) return [...this.#sockets.values()];
    return this.#first ? [this.#first] : [];
  }

  /** Forgets every socket. */
  #clear(): void {
    this.#first = undefined;
    this.#sockets?.clear();
    this.#nsps?.clear();
  }

  /** Disconnects every socket, then closes the session. */
  _disconnect(): void {
    for (const socket of this.#all()) socket.disconnect();
    this.#clear();
    this.#close("forced server close");
  }

  #onMessage(data: string | Uint8Array): void {
    let packet: Packet | undefined;
    try {
      if (this.#custom) this.#custom.add(data);
      else packet = this.#decoder!.add(data);
    } catch (err) {
      // a malformed packet is a protocol fault: report it to the sockets and drop the session
      const error = err instanceof Error ? err : new ParseError(String(err));
      debug("parse error on %s: %s", this.id, error.message);
      for (const socket of this.#all()) socket._onerror(error);
      this.#close("parse error");
      return;
    }
    if (packet) this.#onDecoded(packet);
  }

  #onDecoded(packet: Packet): void {
    let name = packet.nsp;
    let auth = (packet.data ?? {}) as Record<string, unknown>;
    if (this.conn.protocol === 3) {
      // a v2 client puts its query in the namespace: "/custom?token=1"
      const query = name.indexOf("?");
      if (query !== -1) {
        auth = Object.fromEntries(new URLSearchParams(name.slice(query + 1)));
        name = name.slice(0, query);
      } else auth = {};
    }
    const socket = this.#nsps
      ? this.#nsps.get(name)
      : this.#first?.nsp.name === name
      ? this.#first
      : undefined;
    if (!socket && packet.type === PacketType.CONNECT) {
      this.#connect(name, auth);
    } else if (
      socket && packet.type !== PacketType.CONNECT && packet.type !== PacketType.CONNECT_ERROR
    ) {
      // a microtask, like the official nextTick: handlers never run inside the engine's request
      queueMicrotask(() => {
        try {
          socket._onpacket(packet);
        } catch (err) {
          // an application callback (an ack, a middleware) threw: it costs this packet only
          reportListenerError(err);
        }
      });
    } else {
      // a packet for a namespace the client did not join, or a second CONNECT
      debug(
        "invalid state (packet type %d, namespace %s), closing %s",
        packet.type,
        packet.nsp,
        this.id,
      );
      this.#close("forced server close");
    }
  }

  #connect(name: string, auth: Record<string, unknown>): void {
    this.#context.lookupNamespace(name, auth, (nsp) => {
      if (this.conn.readyState !== "open") return;
      if (!nsp) {
        debug("refused unknown namespace %s", name);
        this._packet({
          type: PacketType.CONNECT_ERROR,
          nsp: name,
          data: { message: "Invalid namespace" },
        });
        return;
      }
      nsp._add(this, auth, (socket) => this.#track(socket)).catch(() => {
        // a fault of ours must not end the process: this connection ends instead
        this.#close("forced server close");
      });
    });
  }

  /**
   * Internal: takes over a socket of this session kept by a host while its
   * process was suspended. A namespace that no longer exists gets the client
   * a DISCONNECT for it.
   */
  _resume(state: SocketState): void {
    this.#context.lookupNamespace(state.nsp, state.auth, (nsp) => {
      if (this.conn.readyState !== "open") return;
      if (!nsp) {
        this._packet({ type: PacketType.DISCONNECT, nsp: state.nsp });
        return;
      }
      nsp._resume(this, state, (socket) => this.#track(socket));
    });
  }

  #track(socket: ClientSocket): void {
    if (!this.#sockets && !this.#first) {
      this.#first = socket;
    } else {
      if (!this.#sockets) {
        // a second socket: from now on the Maps hold every socket
        const first = this.#first!;
        this.#sockets = new Map([[first.id, first]]);
        this.#nsps = new Map([[first.nsp.name, first]]);
        this.#first = undefined;
      }
      this.#sockets.set(socket.id, socket);
      this.#nsps!.set(socket.nsp.name, socket);
    }
    this.#context.clock.clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
  }

  #onError(err: Error): void {
    for (const socket of this.#all()) socket._onerror(err);
  }

  /** Ends every socket with `reason`, then closes the session. */
  #close(reason: DisconnectReason): void {
    if (this.conn.readyState !== "open") return;
    this.#onClose(reason);
    this.conn.close();
  }

  #onClose(reason: DisconnectReason, description?: unknown): void {
    debug("client %s closed: %s", this.id, reason);
    if (this.conn._owner === this) this.conn._owner = undefined;
    this.#context.clock.clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    const sockets = this.#all();
    this.#clear();
    for (const socket of sockets) socket._onclose(reason, description);
    this.#decoder?.destroy();
    try {
      this.#custom?.destroy();
    } catch (err) {
      reportListenerError(err);
    }
  }
}
