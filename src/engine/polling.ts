/**
 * The HTTP long-polling transport over Request/Response: a GET is parked until
 * packets are queued and then answered with all of them as one payload; a POST
 * carries a payload from the client.
 *
 * @module
 */

import { type ContentCoding, negotiateContentCoding } from "../util/content_coding.ts";
import { decodePacket, encodePayload, type Packet, SEPARATOR } from "../parser/engine_packet.ts";
import { decodePayloadV3, encodePayloadV3 } from "../parser/engine_packet_v3.ts";
import type { Clock, TimerHandle } from "../util/clock.ts";
import { Transport } from "./transport.ts";
import type { ClientGoneWatcher, PlainResponseBuilder } from "./ports.ts";
import { DEFAULT_BODY_TIMEOUT } from "./options.ts";
import { Deadlines } from "./_deadlines.ts";
import { exceedsPayload } from "./payload_size.ts";
import { ErrorCode, errorResponse } from "./errors.ts";

const encoder = new TextEncoder();

/** How long an orderly close waits for the next GET to carry the close packet. */
const CLOSE_TIMEOUT = 30_000;

/** Adds what only a successful answer carries (cache-control, the `headers` event). */
export type DecorateHeaders = (headers: Headers) => void;

interface ParkedGet {
  resolve: (res: Response) => void;
  /** The coding this GET accepts, when its answer may be compressed. */
  coding: ContentCoding | undefined;
  headers: Headers;
  decorate: DecorateHeaders;
  build: PlainResponseBuilder;
  detach: () => void;
}

function newResponse(
  body: string | Uint8Array<ArrayBuffer>,
  status: number,
  headers: Headers,
): Response {
  return new Response(body, { status, headers });
}

/** Long-polling: one parked GET at a time, one POST at a time. */
export class Polling extends Transport {
  readonly name = "polling" as const;
  #clock: Clock;
  #compressThreshold: number | undefined;
  #get: ParkedGet | undefined;
  #posting = false;
  #shouldClose: (() => void) | undefined;
  #closeTimer: TimerHandle | undefined;
  /** The body timeouts of the server's POSTs, one timer for all. */
  #bodyDeadlines: Deadlines;
  /** Whether this transport still counts as a user of {@link #bodyDeadlines}. */
  #usesDeadlines = true;
  /** Cancels the body read in progress (the session ended). */
  #cancelBody: (() => void) | undefined;
  /** Engine.IO v3 (`allowEIO3`): its payload format; binary payloads unless `b64=1`. */
  readonly #v3: { readonly supportsBinary: boolean } | undefined;
  /** JSONP polling: the opening of every answer, `___eio[<j>](`. */
  readonly #jsonpHead: string | undefined;

  /**
   * @param compressThreshold payloads of at least this many bytes are
   * compressed for clients that accept gzip or deflate; `undefined` never
   * @param bodyDeadlines how long a POST may take to deliver its body: the
   * server's shared {@link Deadlines} (one timer for every POST)
   * @param format the payload format: Engine.IO v3's, and JSONP (the
   * handshake's `j`: answers are `___eio[<j>]("<payload>");` scripts, POSTs
   * form-encoded `d=<payload>`)
   */
  constructor(
    maxPayload: number,
    clock: Clock,
    compressThreshold?: number,
    bodyDeadlines: Deadlines = new Deadlines(clock, DEFAULT_BODY_TIMEOUT),
    format: PollingFormat = {},
  ) {
    super(maxPayload);
    this.#v3 = format.v3;
    // as the official server: the index keeps its digits only
    if (format.jsonp !== undefined) {
      this.#jsonpHead = `___eio[${format.jsonp.replace(/\D/g, "")}](`;
    }
    this.#clock = clock;
    this.#compressThreshold = compressThreshold;
    this.#bodyDeadlines = bodyDeadlines;
    bodyDeadlines.retain();
  }

  /**
   * Answers a GET or POST of this session. `headers` already holds what every
   * answer carries (CORS, cookie); `decorate` is applied to the successful
   * answers only, as the official server adds `cache-control` and emits
   * `headers` only when it writes packets or "ok". `wholeBody`: the runtime
   * ends stalled bodies itself (`RequestContext.boundsStalledBodies`).
   * `watch`: the runtime's watch on a client that went away
   * (`RequestContext.watchClientGone`), in place of `req.signal`.
   */
  onRequest(
    req: Request,
    headers: Headers,
    decorate: DecorateHeaders = () => {},
    build: PlainResponseBuilder = newResponse,
    wholeBody = false,
    watch?: ClientGoneWatcher,
  ): Promise<Response> {
    if (req.method === "GET") return this.#onPoll(req, headers, decorate, build, watch);
    if (req.method === "POST") return this.#onData(req, headers, decorate, build, wholeBody);
    // the official server answers any other method on a session with a bare 500
    return Promise.resolve(new Response(null, { status: 500, headers }));
  }

  #onPoll(
    req: Request,
    headers: Headers,
    decorate: DecorateHeaders,
    build: PlainResponseBuilder,
    watch: ClientGoneWatcher | undefined,
  ): Promise<Response> {
    if (this.#get) {
      this.onError("overlap from client");
      return Promise.resolve(new Response(null, { status: 400, headers }));
    }
    let resolve!: (res: Response) => void;
    const promise = new Promise<Response>((r) => (resolve = r));
    const onAbort = () => this.onError("poll connection closed prematurely");
    let detach = watch?.(req, onAbort);
    if (!detach) {
      // a Request the runtime cannot watch (Deno's glue watches its own without it)
      const signal = req.signal;
      signal?.addEventListener("abort", onAbort);
      detach = () => signal?.removeEventListener("abort", onAbort);
    }
    this.#get = {
      resolve,
      coding: this.#compressThreshold === undefined
        ? undefined
        : negotiateContentCoding(req.headers.get("accept-encoding")),
      headers,
      decorate,
      build,
      detach,
    };
    this.writable = true;
    this.onReady();
    // a close requested while no GET was parked rides on this one
    if (this.writable && this.#shouldClose) this.send([{ type: "noop" }]);
    return promise;
  }

  async #onData(
    req: Request,
    headers: Headers,
    decorate: DecorateHeaders,
    build: PlainResponseBuilder,
    wholeBody: boolean,
  ): Promise<Response> {
    if (this.#posting) {
      this.onError("data request overlap from client");
      return new Response(null, { status: 400, headers });
    }
    // a JSONP POST is a form, whatever it claims to be
    const binary = this.#jsonpHead === undefined &&
      req.headers.get("content-type") === "application/octet-stream";
    if (binary && !this.#v3) {
      // Engine.IO v4 sends binary inside text payloads; a binary body is a protocol fault
      this.onError("invalid content");
      return new Response(null, { status: 400, headers });
    }
    this.#posting = true;
    let body: string | Uint8Array | typeof TOO_LARGE | typeof TIMED_OUT | typeof CANCELLED;
    const read = new BodyRead(req, this.maxPayload, wholeBody);
    const deadline = this.#bodyDeadlines.add(() => read.cancel(TIMED_OUT));
    this.#cancelBody = () => read.cancel(CANCELLED);
    try {
      body = await read.text(binary);
    } catch (err) {
      this.onError("data request connection closed prematurely", err);
      return new Response(null, { status: 400, headers });
    } finally {
      deadline.cancel();
      this.#cancelBody = undefined;
      this.#posting = false;
    }
    if (body === TOO_LARGE) return new Response(null, { status: 413, headers });
    if (body === TIMED_OUT) {
      // a body that does not arrive holds a connection: the session ends with it
      this.onError("data request timed out");
      // the rest of that body may still come: the connection cannot carry another request
      headers.set("connection", "close");
      return new Response(null, { status: 408, headers });
    }
    if (body === CANCELLED) return new Response(null, { status: 400, headers });
    if (this.#jsonpHead === undefined) this.#onPayload(body);
    else {
      const payload = jsonpPayload(body as string); // read as text: `binary` is false
      if (payload !== undefined) this.#onPayload(payload);
    }
    headers.set("content-type", "text/html");
    decorate(headers);
    return build("ok", 200, headers);
  }

  #onPayload(payload: string | Uint8Array): void {
    if (this.#v3) return this.#onPayloadV3(payload);
    if (typeof payload !== "string") return;
    // packets before a malformed one are still delivered, as the official parser does
    for (const segment of payload.split(SEPARATOR)) {
      if (this.readyState === "closed") return;
      let packet: Packet;
      try {
        packet = decodePacket(segment);
      } catch {
        this.onParseError();
        return;
      }
      if (packet.type === "close") {
        this.onClose();
        return;
      }
      this.onPacket(packet);
    }
  }

  /** A v3 payload: the official v3 parser drops a malformed payload whole. */
  #onPayloadV3(payload: string | Uint8Array): void {
    let packets: Packet[];
    try {
      packets = decodePayloadV3(payload);
    } catch {
      this.onParseError();
      return;
    }
    for (const packet of packets) {
      if (this.readyState === "closed") return;
      if (packet.type === "close") {
        this.onClose();
        return;
      }
      this.onPacket(packet);
    }
  }

  send(packets: Packet[]): void {
    const get = this.#get;
    if (!get) return;
    this.writable = false;
    this.#get = undefined;
    get.detach();
    if (this.#shouldClose) {
      packets.push({ type: "close" });
      const done = this.#shouldClose;
      this.#shouldClose = undefined;
      done();
    }
    const payload = this.#v3
      ? encodePayloadV3(packets, this.#v3.supportsBinary)
      : encodePayload(packets);
    const type = typeof payload === "string"
      ? "text/plain; charset=UTF-8"
      : "application/octet-stream";
    get.headers.set("content-type", type);
    get.decorate(get.headers);
    get.resolve(
      typeof payload === "string"
        ? this.#answer(
          this.#jsonpHead === undefined ? payload : jsonpScript(this.#jsonpHead, payload),
          packets,
          get,
        )
        : get.build(payload as Uint8Array<ArrayBuffer>, 200, get.headers),
    );
    this.emit("drain");
  }

  /** Marks the transport replaced; an orderly close waiting for a GET ends now. */
  /**
   * A GET still parked when the upgrade packet arrives was sent after it (a
   * client pauses polling, waiting for its GET to return, before it sends the
   * packet) and overtook it on the way — workerd delivers a Durable Object's
   * requests and WebSocket messages in either order. It gets what the official
   * server answers a GET that comes after the upgrade: 400, code 3.
   */
  override replaced(): void {
    const get = this.#get;
    if (get) {
      this.writable = false;
      this.#get = undefined;
      get.detach();
      get.resolve(errorResponse(ErrorCode.BAD_REQUEST, {}, get.headers));
    }
    super.replaced();
  }

  override discard(): void {
    super.discard();
    this.#releaseDeadlines();
    const pending = this.#shouldClose;
    this.#shouldClose = undefined;
    pending?.();
  }

  /**
   * The answer to a parked GET: compressed, as the official `httpCompression`
   * does, when the client accepts it, some packet allows it and the payload
   * reaches the threshold.
   */
  #answer(payload: string, packets: readonly Packet[], get: ParkedGet): Response {
    const threshold = this.#compressThreshold;
    if (
      get.coding === undefined || threshold === undefined ||
      payload.length * 3 < threshold || !packets.some((p) => p.options?.compress !== false)
    ) {
      return get.build(payload, 200, get.headers);
    }
    const bytes = encoder.encode(payload);
    if (bytes.byteLength < threshold) return get.build(bytes, 200, get.headers);
    get.headers.set("content-encoding", get.coding);
    get.headers.append("vary", "Accept-Encoding");
    const body = new Blob([bytes]).stream().pipeThrough(new CompressionStream(get.coding));
    // `encodeBody: "manual"`: Cloudflare Workers would otherwise compress it again
    return new Response(
      body,
      { status: 200, headers: get.headers, encodeBody: "manual" } as ResponseInit,
    );
  }

  protected doClose(fn: () => void): void {
    const done = () => {
      this.#clock.clearTimeout(this.#closeTimer);
      fn();
      this.onClose();
    };
    if (this.writable) {
      this.send([{ type: "close" }]);
      done();
    } else if (this.discarded) {
      done();
    } else {
      this.#shouldClose = done;
      this.#closeTimer = this.#clock.setTimeout(done, CLOSE_TIMEOUT);
    }
  }

  protected override onClose(): void {
    // a parked GET must not hang once the session is gone, nor a body read
    if (this.#get) this.send([{ type: "noop" }]);
    this.#cancelBody?.();
    this.#clock.clearTimeout(this.#closeTimer);
    this.#releaseDeadlines();
    super.onClose();
  }

  #releaseDeadlines(): void {
    if (!this.#usesDeadlines) return;
    this.#usesDeadlines = false;
    this.#bodyDeadlines.release();
  }
}

/** What {@link Polling}'s payloads look like besides Engine.IO v4's. */
export interface PollingFormat {
  /** Engine.IO v3 (`allowEIO3`): binary payloads unless `b64=1`. */
  readonly v3?: { readonly supportsBinary: boolean } | undefined;
  /** JSONP polling: the handshake's `j` (the answers' callback index). */
  readonly jsonp?: string | undefined;
}

/**
 * The payload of a JSONP POST: its form field `d` (none if absent or
 * repeated, which the official server ignores too), with the client's
 * newline escapes undone — it sends a newline as `\n` and a JSON `\n` as
 * `\\n`.
 */
function jsonpPayload(form: string): string | undefined {
  const values = new URLSearchParams(form).getAll("d");
  if (values.length !== 1) return undefined;
  return values[0]!.replace(/\\\\n|\\n/g, (escape) => escape.length === 3 ? "\\n" : "\n");
}

/** A JSONP answer: a script that hands the payload to `head`'s callback (valid JavaScript, not only JSON). */
function jsonpScript(head: string, payload: string): string {
  return head +
    JSON.stringify(payload).replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029") +
    ");";
}

const TOO_LARGE = Symbol("too large");
const TIMED_OUT = Symbol("timed out");
const CANCELLED = Symbol("cancelled");

/**
 * Reads a request body as UTF-8 text, refusing more than `limit` bytes
 * without reading past the limit, and stopping at once when cancelled (the
 * read timed out, or its session ended): a client that declares a length and
 * stalls holds nothing after that.
 */
class BodyRead {
  readonly #req: Request;
  readonly #limit: number;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #cancelled: typeof TIMED_OUT | typeof CANCELLED | undefined;
  /** Whether a body of declared length may be read with one `text()`. */
  readonly #whole: boolean;
  /** Ends a whole-body read at once when cancelled. */
  #wake: ((why: typeof TIMED_OUT | typeof CANCELLED) => void) | undefined;

  constructor(req: Request, limit: number, whole: boolean) {
    this.#req = req;
    this.#limit = limit;
    this.#whole = whole;
  }

  cancel(why: typeof TIMED_OUT | typeof CANCELLED): void {
    if (this.#cancelled !== undefined) return;
    this.#cancelled = why;
    this.#wake?.(why);
    this.#reader?.cancel().catch(() => {});
  }

  /** The body as text, or as bytes with `binary`. */
  async text(
    binary = false,
  ): Promise<string | Uint8Array | typeof TOO_LARGE | typeof TIMED_OUT | typeof CANCELLED> {
    const req = this.#req;
    const limit = this.#limit;
    const length = req.headers.get("content-length");
    const declared = Number(length);
    if (declared > limit) {
      await req.body?.cancel().catch(() => {});
      return TOO_LARGE;
    }
    if (this.#whole && !binary && length !== null && declared >= 0) return this.#readWhole(req);
    const body = req.body;
    if (!body) return binary ? new Uint8Array(0) : "";
    const reader = this.#reader = body.getReader();
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (this.#cancelled !== undefined) return this.#cancelled;
      if (done) break;
      total += value.byteLength;
      if (total > limit) {
        await reader.cancel().catch(() => {});
        return TOO_LARGE;
      }
      chunks.push(value);
    }
    return binary ? concat(chunks, total) : decodeChunks(chunks, total);
  }

  /**
   * The whole body through one `req.text()` (the runtime ends a stalled one:
   * `RequestContext.boundsStalledBodies`). A cancel answers at once; the
   * read, holding at most the declared length, ends with its connection.
   */
  async #readWhole(
    req: Request,
  ): Promise<string | typeof TOO_LARGE | typeof TIMED_OUT | typeof CANCELLED> {
    if (this.#cancelled !== undefined) return this.#cancelled;
    const text = req.text();
    text.catch(() => {});
    const cancelled = new Promise<typeof TIMED_OUT | typeof CANCELLED>((r) => this.#wake = r);
    const result = await Promise.race([text, cancelled]);
    if (typeof result !== "string") return result;
    if (this.#cancelled !== undefined) return this.#cancelled;
    // the runtime holds the body to its declared length; checked again all the same
    return exceedsPayload(result, this.#limit) ? TOO_LARGE : result;
  }
}

/** The chunks of a body as one byte array. */
function concat(chunks: Uint8Array[], total: number): Uint8Array {
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return bytes;
}

/** The chunks of a body as UTF-8 text (one decode, one copy at most). */
function decodeChunks(chunks: Uint8Array[], total: number): string {
  if (chunks.length === 1) return decoder.decode(chunks[0]);
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.byteLength;
  }
  return decoder.decode(bytes);
}

const decoder = new TextDecoder();
