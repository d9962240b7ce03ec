/**
 * The runtime ports of the engine: what a runtime must provide so that the
 * Web-standard engine can accept WebSocket connections and know its peers.
 *
 * @module
 */

/** The part of a WebSocket the engine uses; every runtime's socket fits it. */
export interface WebSocketLike {
  /**
   * Sends a text (string) or binary (Uint8Array) frame; `compress` says
   * whether it may be compressed (permessage-deflate, where the runtime
   * negotiated it); without it, the frame goes uncompressed.
   */
  send(data: string | Uint8Array, compress?: boolean): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** 0 connecting, 1 open, 2 closing, 3 closed (the WHATWG values). */
  readonly readyState: number;
  /** Bytes queued but not yet sent, where the runtime reports it. */
  readonly bufferedAmount?: number;
  /**
   * Drops the connection at once, without a closing handshake, where the
   * runtime can (a client that stopped reading would never finish one).
   */
  terminate?(): void;
}

/** What the runtime glue calls when something happens on an accepted WebSocket. */
export interface WebSocketEvents {
  /** The socket is open and may be written to. */
  onOpen(ws: WebSocketLike): void;
  /**
   * A frame arrived: text as string, binary as any Uint8Array (a `Buffer` too):
   * the session gives it the host's type (`_received.ts`).
   */
  onMessage(data: string | Uint8Array): void;
  /** The socket is closed (by either side). Called at most once. */
  onClose(code: number, reason: string): void;
  /** The socket failed; `onClose` follows. */
  onError(error: unknown): void;
}

/**
 * Turns an upgrade request into the runtime's WebSocket and the response that
 * completes the upgrade. Returns `undefined` when the runtime cannot upgrade
 * this request. `headers` are the extra headers of the 101 answer (what the
 * `initial_headers`/`headers` listeners set); the engine also copies them
 * onto the returned Response, so only an upgrader that writes the 101 itself
 * (Bun's `server.upgrade`, Node's `ws`) must add them. `deflate`: whether
 * this server negotiates permessage-deflate (its `perMessageDeflate` option),
 * for glue that can decide per upgrade (Node).
 */
export type Upgrader = (
  req: Request,
  events: WebSocketEvents,
  headers?: Headers,
  deflate?: boolean,
) => Response | undefined;

/** What the runtime knows about a request beyond the `Request` itself. */
export interface RequestContext {
  /** Performs a WebSocket upgrade; without it WebSocket requests get code 3. */
  upgrade?: Upgrader | undefined;
  /** The peer's IP address, for `socket.remoteAddress` and the handshake. */
  remoteAddress?: string | undefined;
  /**
   * Builds the polling answers that carry a plain body (packets, "ok"); a
   * runtime may return a lighter `Response` that it writes itself.
   * `new Response(body, { status, headers })` when absent.
   */
  plainResponse?: PlainResponseBuilder | undefined;
  /**
   * The runtime ends a request whose body stalls by itself (Bun's
   * `idleTimeout`, Node's `requestTimeout`): the engine may then read a
   * polling body of declared length with one `text()`, much cheaper there
   * than a stream reader but not cancellable — a body timeout or a closed
   * session still answers at once, and the runtime ends the read.
   */
  boundsStalledBodies?: boolean | undefined;
  /**
   * Watches for the client of `req` going away before its answer was
   * written (a held polling GET): `gone` is called then, at most once, unless
   * the returned function stopped the watch first. `undefined` when the
   * runtime cannot watch this request; the engine then listens to
   * `req.signal` (what it does where the hook is absent). Node and Deno use
   * it to spare an `AbortController` / `AbortSignal` per held GET.
   */
  watchClientGone?: ClientGoneWatcher | undefined;
}

/** See {@link RequestContext.watchClientGone}. */
export type ClientGoneWatcher = (req: Request, gone: () => void) => (() => void) | undefined;

/** Builds a `Response` with a body known in full. */
export type PlainResponseBuilder = (
  body: string | Uint8Array<ArrayBuffer>,
  status: number,
  headers: Headers,
) => Response;

/** What `serve()` runs: an `EngineServer`, or a Socket.IO `Server`. */
export interface FetchApp {
  /** Answers one HTTP request (or upgrades it through `ctx.upgrade`). */
  handle(req: Request, ctx?: RequestContext): Promise<Response>;
  /** Ends every session and timer. */
  close(): void | Promise<void>;
  /** The largest WebSocket message the app accepts, in bytes. */
  readonly maxPayload: number;
  /**
   * Whether the glue negotiates permessage-deflate (the engine's
   * `perMessageDeflate` option) where it decides once per listener (Bun);
   * the engine says per frame whether to compress.
   */
  readonly perMessageDeflate?: boolean;
}
