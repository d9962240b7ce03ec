/**
 * Node glue (Node ≥ 20): HTTP requests reach the app as light `Request`s
 * over the `IncomingMessage` (`_node_http.ts`; undici objects only when the
 * app reads more than method, url, headers, signal and text), polling
 * answers are written without web streams, and `ws` accepts WebSockets on the
 * server's `upgrade` event.
 *
 * @example
 * ```ts ignore
 * import { EngineServer } from "../engine/server.ts";
 * import { serve } from "./node.ts";
 * const engine = new EngineServer();
 * engine.on("connection", (socket) => socket.on("message", (m) => socket.send(m)));
 * const server = await serve(engine, { port: 3000 });
 * ```
 *
 * @module
 */

import { Buffer } from "node:buffer";
import process from "node:process";
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { debugFromEnv } from "../util/logger.ts";
import { NodeRequest, plainResponse, watchClientGone, writeResponse } from "./_node_http.ts";
import type { FetchApp, RequestContext, WebSocketEvents, WebSocketLike } from "../engine/ports.ts";
import {
  callApp,
  CLOSE_GRACE_MS,
  guardEvents,
  SERVE_DEFAULTS,
  type Served,
  type ServeOptions,
  settleWithin,
} from "./glue.ts";

export type { Served, ServeOptions } from "./glue.ts";

/** The listeners that serve an app on a Node `http.Server`. */
export interface NodeHandlers {
  /** For the server's `request` event. */
  request(incoming: IncomingMessage, outgoing: ServerResponse): void;
  /** For the server's `upgrade` event. */
  upgrade(incoming: IncomingMessage, socket: Duplex, head: Buffer): void;
  /**
   * Ends the WebSockets still open (call after the app's own close): those
   * the app left open get 1001, all get {@link CLOSE_GRACE_MS} to finish the
   * closing handshake, then whatever remains is cut.
   */
  closeWebSockets(): Promise<void>;
}

const WS_KEY = /^[+/0-9A-Za-z]{22}==$/;

/**
 * The `request` and `upgrade` listeners that serve `app`, for users who run
 * their own `http.Server`.
 *
 * @example
 * ```ts ignore
 * const handlers = createNodeHandlers(engine);
 * const server = http.createServer(handlers.request);
 * server.on("upgrade", handlers.upgrade);
 * ```
 */
export function createNodeHandlers(app: FetchApp): NodeHandlers {
  // permessage-deflate only for a server with perMessageDeflate (off by default, as
  // officially); the engine says per frame whether to compress (threshold, compress(false))
  const plain = wsServer(app, false);
  const deflating = wsServer(app, true);
  return {
    request: (incoming, outgoing) => void answerRequest(app, incoming, outgoing),
    upgrade: (incoming, socket, head) =>
      void upgradeRequest(app, [plain, deflating], incoming, socket, head),
    closeWebSockets: () => Promise.all([closeAll(plain), closeAll(deflating)]).then(() => {}),
  };
}

function wsServer(app: FetchApp, deflate: boolean): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: app.maxPayload,
    perMessageDeflate: deflate ? { threshold: 0 } : false,
  });
  // the listeners' headers of the 101 that ws writes
  wss.on("headers", addHeaders);
  return wss;
}

async function upgradeRequest(
  app: FetchApp,
  servers: [plain: WebSocketServer, deflating: WebSocketServer],
  incoming: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  // a reset before ws takes the socket over must not become an uncaught error
  socket.on("error", destroySocket);
  let events: WebSocketEvents | undefined;
  let wss = servers[0];
  const ctx: RequestContext = {
    remoteAddress: incoming.socket.remoteAddress,
    upgrade: (req, appEvents, headers, deflate) => {
      if (events || !isHandshake(req)) return undefined;
      if (deflate) wss = servers[1];
      events = guardEvents(appEvents);
      if (headers) extraHeaders.set(incoming, headers);
      // ws writes the 101 once the app has answered; this is a placeholder
      return new Response(null);
    },
  };
  const req = new NodeRequest(incoming);
  const res = canParseUrl(incoming, req.url)
    ? await callApp(app, req as unknown as Request, ctx)
    : new Response(null, { status: 400 }); // no valid URL could be built
  if (!events) return writeRaw(socket, res);
  const opened = events;
  let accepted = false;
  // ws writes the 101 and calls back at once, and the session writes its open
  // packet as it opens: corked, both leave in one write (a syscall less)
  socket.cork();
  try {
    wss.handleUpgrade(incoming, socket, head, (ws) => {
      accepted = true;
      wire(ws, opened);
    });
  } finally {
    socket.uncork();
  }
  // ws gives up silently when the client left while the app was deciding
  if (!accepted) opened.onClose(1006, "");
}

/** The extra headers of each accepted upgrade's 101, until `ws` writes it. */
const extraHeaders = new WeakMap<IncomingMessage, Headers>();

function addHeaders(lines: string[], incoming: IncomingMessage): void {
  const headers = extraHeaders.get(incoming);
  if (!headers) return;
  extraHeaders.delete(incoming);
  headers.forEach((value, name) => void lines.push(`${name}: ${value}`));
}

/** Ends a raw socket that failed (one listener shared by every socket: no closure each). */
function destroySocket(this: Duplex): void {
  this.destroy();
}

/** Node routes real handshakes to `upgrade`; on `request` none can succeed. */
async function answerRequest(
  app: FetchApp,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
): Promise<void> {
  const ctx: RequestContext = {
    upgrade: noUpgrade,
    remoteAddress: incoming.socket.remoteAddress,
    plainResponse,
    // requestTimeout (and headersTimeout) end a request whose body stalls
    boundsStalledBodies: true,
    watchClientGone,
  };
  const req = new NodeRequest(incoming, outgoing);
  const res = canParseUrl(incoming, req.url)
    ? await callApp(app, req as unknown as Request, ctx)
    : new Response(null, { status: 400 }); // no valid URL could be built
  await writeResponse(res, outgoing);
}

/** The last `Host` whose origin parsed: requests of one client repeat it. */
let validHost: string | undefined;

/**
 * `URL.canParse(url)` for the URL {@link NodeRequest} built, once per `Host`:
 * after an authority that parses, a path starting with "/" always parses
 * too (the WHATWG path, query and fragment states never fail), so only a
 * new host or another request-target ("*", absolute form) is parsed.
 */
function canParseUrl(incoming: IncomingMessage, url: string): boolean {
  const host = incoming.headers.host ?? "localhost";
  const local = incoming.url?.charCodeAt(0) === 47; // "/"
  if (local && host === validHost) return true;
  if (!URL.canParse(url)) return false;
  if (local) validHost = host; // the same holds backwards: this authority parses
  return true;
}

function noUpgrade(): undefined {
  return undefined;
}

async function closeAll(wss: WebSocketServer): Promise<void> {
  const waits = [...wss.clients].map((ws) => {
    if (ws.readyState === ws.OPEN) ws.close(1001, "Server shutting down");
    return new Promise((resolve) => ws.once("close", resolve));
  });
  await settleWithin(waits, CLOSE_GRACE_MS);
  wss.clients.forEach((ws) => ws.terminate());
}

function isHandshake(req: Request): boolean {
  const { headers } = req;
  const version = headers.get("sec-websocket-version");
  return req.method === "GET" &&
    headers.get("upgrade")?.toLowerCase() === "websocket" &&
    WS_KEY.test(headers.get("sec-websocket-key") ?? "") &&
    (version === "13" || version === "8");
}

/** The app's callbacks of a `ws` socket, read by the shared listeners below. */
const eventsOf = new WeakMap<WebSocket, WebSocketEvents>();

// one set of listeners for every socket (`ws` calls them with the socket as `this`)
function onWsMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
  const bytes = Array.isArray(data)
    ? Buffer.concat(data)
    : Buffer.isBuffer(data)
    ? data
    : Buffer.from(data);
  // a Buffer as is: the engine gives received binary its one type (engine/_received.ts)
  eventsOf.get(this)?.onMessage(isBinary ? bytes : bytes.toString("utf8"));
}

function onWsError(this: WebSocket, err: Error): void {
  eventsOf.get(this)?.onError(err);
}

function onWsClose(this: WebSocket, code: number, reason: Buffer): void {
  eventsOf.get(this)?.onClose(code, reason.toString());
}

function wire(ws: WebSocket, events: WebSocketEvents): void {
  eventsOf.set(ws, events);
  ws.on("message", onWsMessage).on("error", onWsError).on("close", onWsClose);
  events.onOpen(new NodeSocket(ws));
}

/** The private part of a `ws` socket that writes a frame framed elsewhere (as socket.io does). */
interface WsSender {
  readonly _state?: number;
  sendFrame?(list: Buffer[], cb?: () => void): void;
}

/** The part of the TCP socket under a `ws` socket used to batch writes. */
interface RawSocket {
  cork(): void;
  uncork(): void;
}

/** `ws.send` options of a frame that goes uncompressed (ws compresses by default once negotiated). */
const PLAIN = { compress: false } as const;

/** The last text sent and, once it was sent a second time, its frame. */
let lastText: string | undefined;
let lastFrame: Buffer[] | undefined;

/** An unmasked, final WebSocket text frame, header and payload in one buffer (one write). */
function textFrame(text: string): Buffer[] {
  const n = Buffer.byteLength(text, "utf8");
  const offset = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const header = Buffer.allocUnsafe(offset + n);
  header.write(text, offset, "utf8");
  header[0] = 0x81;
  if (n < 126) {
    header[1] = n;
  } else if (n < 65536) {
    header[1] = 126;
    header.writeUInt16BE(n, 2);
  } else {
    header[1] = 127;
    header.writeUInt32BE(Math.floor(n / 0x1_0000_0000), 2);
    header.writeUInt32BE(n >>> 0, 6);
  }
  return [header];
}

/**
 * The app's view of a `ws` socket. A string sent again right after it was
 * sent (a broadcast's shared frame, going to one recipient after another) is
 * UTF-8-encoded and framed once, and the same buffers are written to every
 * socket, through `ws`'s sender as the official server does; anything else,
 * or a `ws` without that internal, goes through `ws.send`.
 */
class NodeSocket implements WebSocketLike {
  readonly #ws: WebSocket;
  #corked: RawSocket | undefined;

  constructor(ws: WebSocket) {
    this.#ws = ws;
  }

  /**
   * Frames sent in one tick leave in one write: the TCP socket is corked at the
   * first and uncorked on the next tick (a burst of broadcasts, several acks).
   */
  #cork(): void {
    if (this.#corked) return;
    const raw = (this.#ws as unknown as { _socket?: RawSocket | null })._socket;
    if (typeof raw?.cork !== "function") return;
    raw.cork();
    this.#corked = raw;
    process.nextTick(NodeSocket.#uncork, this);
  }

  static #uncork(socket: NodeSocket): void {
    const raw = socket.#corked;
    socket.#corked = undefined;
    raw?.uncork();
  }

  send(data: string | Uint8Array, compress?: boolean): void {
    this.#cork();
    if (compress) {
      lastText = undefined;
      this.#ws.send(data, { compress: true });
      return;
    }
    if (typeof data === "string") {
      if (data === lastText && this.#sendShared(data)) return;
      lastText = data;
      lastFrame = undefined;
    }
    this.#ws.send(data, PLAIN);
  }

  #sendShared(text: string): boolean {
    const sender = (this.#ws as unknown as { _sender?: WsSender | null })._sender;
    // 0: ws's sender is idle (no compression or blob read queued ahead)
    if (this.#ws.readyState !== 1 || !sender?.sendFrame || sender._state !== 0) return false;
    sender.sendFrame(lastFrame ??= textFrame(text));
    return true;
  }

  close(code?: number, reason?: string): void {
    this.#ws.close(code, reason);
  }

  terminate(): void {
    this.#ws.terminate();
  }

  get readyState(): number {
    return this.#ws.readyState;
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }
}

/** Writes `res` as a plain HTTP/1.1 response on a socket Node has handed over. */
async function writeRaw(socket: Duplex, res: Response): Promise<void> {
  let body: Buffer;
  try {
    body = Buffer.from(await res.arrayBuffer());
  } catch {
    socket.destroy();
    return;
  }
  if (socket.destroyed) return;
  let head = `HTTP/1.1 ${res.status} ${STATUS_CODES[res.status] ?? ""}\r\n`;
  res.headers.forEach((value, name) => {
    if (name !== "content-length" && name !== "connection") head += `${name}: ${value}\r\n`;
  });
  head += `content-length: ${body.byteLength}\r\nconnection: close\r\n\r\n`;
  socket.once("finish", () => socket.destroy());
  socket.end(Buffer.concat([Buffer.from(head, "latin1"), body]));
}

/**
 * Serves `app` on a new `http.Server`. Binds all interfaces ("::", dual-stack,
 * Node's default) unless `hostname` says otherwise.
 */
export function serve(app: FetchApp, options: ServeOptions): Promise<Served> {
  debugFromEnv((name) => process.env[name]);
  const handlers = createNodeHandlers(app);
  const headersTimeout = options.headersTimeout ?? SERVE_DEFAULTS.headersTimeout;
  const server = createServer({
    headersTimeout,
    requestTimeout: Math.max(
      headersTimeout,
      options.requestTimeout ?? SERVE_DEFAULTS.requestTimeout,
    ),
    keepAliveTimeout: options.keepAliveTimeout ?? SERVE_DEFAULTS.keepAliveTimeout,
    // how often Node looks for connections over those timeouts (its default: 30 s)
    connectionsCheckingInterval: Math.min(1_000, headersTimeout),
  }, handlers.request);
  server.on("upgrade", handlers.upgrade);
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => {
      server.off("error", reject);
      const address = server.address() as AddressInfo;
      let closing: Promise<void> | undefined;
      const close = async () => {
        try {
          await app.close();
        } finally {
          await handlers.closeWebSockets();
          await new Promise<void>((done) => {
            server.close(() => done());
            server.closeIdleConnections();
          });
        }
      };
      resolve({
        port: address.port,
        hostname: address.address,
        close: () => closing ??= close(),
      });
    });
  });
}
