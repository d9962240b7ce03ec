/**
 * Node's HTTP requests and answers without undici objects on the common path:
 * a {@link NodeRequest} gives method, url, headers, `signal` and `text()`
 * straight from the `IncomingMessage` (a real `Request` is built only when
 * anything else is read), and {@link writeResponse} writes a plain answer
 * from {@link plainResponse} to the `ServerResponse` without a web stream.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import type { IncomingMessage, ServerResponse } from "node:http";

/**
 * A `Request` (for `instanceof` and every property) over an `IncomingMessage`.
 * Method, url, headers, `signal` and `text()` cost no undici objects.
 */
export class NodeRequest {
  /** The request method. */
  readonly method: string;
  /** The absolute request URL. */
  readonly url: string;
  #incoming: IncomingMessage;
  #outgoing: ServerResponse | undefined;
  #headers: Headers | undefined;
  #abort: AbortController | undefined;
  #real: Request | undefined;
  #body: ReadableStream<Uint8Array> | undefined;
  #used = false;

  /**
   * Wraps `incoming`; `outgoing` tells when the client went away (without
   * it, an upgrade request: when its socket closes).
   */
  constructor(incoming: IncomingMessage, outgoing?: ServerResponse) {
    this.#incoming = incoming;
    this.#outgoing = outgoing;
    this.method = incoming.method ?? "GET";
    // prefixing (not resolving against a base) keeps "//x" a path, not a host
    this.url = `http://${incoming.headers.host ?? "localhost"}${incoming.url ?? "/"}`;
  }

  /** The request headers (built at the first read). */
  get headers(): Headers {
    return this.#headers ??= headersOf(this.#incoming.rawHeaders);
  }

  /** Aborted when the connection closes before the answer was written. */
  get signal(): AbortSignal {
    if (this.#abort) return this.#abort.signal;
    const abort = this.#abort = new AbortController();
    const outgoing = this.#outgoing;
    const onClose = () => {
      if (!outgoing?.writableFinished) abort.abort(new Error("connection closed prematurely"));
    };
    if (outgoing) outgoing.once("close", onClose);
    else this.#incoming.socket.once("close", onClose);
    return abort.signal;
  }

  /**
   * Internal: calls `gone` once if the connection closes before the answer
   * was written, as `signal` would abort, without an `AbortController`;
   * returns what stops the watch. `undefined` for an upgrade request.
   */
  _watchGone(gone: () => void): (() => void) | undefined {
    const outgoing = this.#outgoing;
    if (!outgoing) return undefined;
    const onClose = () => {
      if (!outgoing.writableFinished) gone();
    };
    // `on`: a response closes once (once's wrapper would cost an object)
    outgoing.on("close", onClose);
    return () => void outgoing.off("close", onClose);
  }

  /** Whether the body was read. */
  get bodyUsed(): boolean {
    if (this.#real) return this.#real.bodyUsed;
    return this.#used || this.#body?.locked === true;
  }

  /**
   * The body as a web stream, straight from the `IncomingMessage` (no undici
   * `Request`: the engine reads a polling POST through it); `null` for GET
   * and HEAD.
   */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#real || this.#used) return this._real().body;
    if (this.method === "GET" || this.method === "HEAD") return null;
    return this.#body ??= bodyStream(this.#incoming);
  }

  /** The body as UTF-8 text. */
  text(): Promise<string> {
    if (this.#real) return this.#real.text();
    if (this.#used || this.#body?.locked) {
      return Promise.reject(new TypeError("Body already used"));
    }
    if (this.#body) return this._real().text();
    this.#used = true;
    const incoming = this.#incoming;
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.once("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      incoming.once("error", reject);
      incoming.once("close", () => {
        if (!incoming.complete) reject(new Error("connection closed prematurely"));
      });
    });
  }

  /** Internal: the full undici `Request`, built once. */
  _real(): Request {
    if (this.#real) return this.#real;
    const hasBody = this.method !== "GET" && this.method !== "HEAD";
    const init: RequestInit & { duplex?: "half" } = {
      method: this.method,
      headers: this.headers,
      signal: this.signal,
    };
    // a body already read (as text, or through its locked stream) is not passed on
    if (hasBody && !this.#used && !this.#body?.locked) {
      init.body = this.#body ?? bodyStream(this.#incoming);
      init.duplex = "half";
    }
    return this.#real = new Request(this.url, init);
  }
}

const passedOn = [
  "cache",
  "credentials",
  "destination",
  "integrity",
  "keepalive",
  "mode",
  "redirect",
  "referrer",
  "referrerPolicy",
  "duplex",
];
for (const key of passedOn) {
  Object.defineProperty(NodeRequest.prototype, key, {
    get(this: NodeRequest) {
      return (this._real() as unknown as Record<string, unknown>)[key];
    },
  });
}
for (const key of ["arrayBuffer", "blob", "bytes", "clone", "formData", "json"]) {
  Object.defineProperty(NodeRequest.prototype, key, {
    value(this: NodeRequest) {
      const real = this._real() as unknown as Record<string, () => unknown>;
      return real[key]!();
    },
  });
}
Object.setPrototypeOf(NodeRequest.prototype, Request.prototype);

/**
 * The request body as a web stream. Unlike `Readable.toWeb`, a cancel drops
 * the rest of the body without destroying the connection, so the answer (a
 * 413) still reaches the client.
 */
function bodyStream(incoming: IncomingMessage): ReadableStream<Uint8Array> {
  let open = true;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      incoming.on("data", (chunk: Buffer) => {
        if (!open) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 1) <= 0) incoming.pause();
      });
      incoming.once("end", () => {
        if (open) controller.close();
        open = false;
      });
      incoming.once("close", () => {
        if (open && !incoming.complete) {
          controller.error(new Error("connection closed prematurely"));
        }
        open = false;
      });
    },
    pull() {
      incoming.resume();
    },
    cancel() {
      open = false;
      incoming.resume();
    },
  }, { highWaterMark: 1 });
}

/** Headers from Node's raw header list (repeated names kept, in order). */
function headersOf(raw: readonly string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}

/**
 * A `Response` (for `instanceof` and every property) with a body known in
 * full: {@link writeResponse} writes it without a web stream; a real
 * `Response` is built only when anything but status and headers is read.
 */
export class PlainResponse {
  /** The status code. */
  readonly status: number;
  /** The response headers. */
  readonly headers: Headers;
  /** Internal: the body. */
  readonly _body: string | Uint8Array<ArrayBuffer>;
  #real: Response | undefined;

  /** An answer with `body`. */
  constructor(body: string | Uint8Array<ArrayBuffer>, status: number, headers: Headers) {
    this._body = body;
    this.status = status;
    this.headers = headers;
  }

  /** Whether the status is 2xx. */
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  /** Internal: whether a real `Response` was built (its body may be read). */
  get _materialized(): boolean {
    return this.#real !== undefined;
  }

  /** Internal: the full undici `Response`, built once. */
  _real(): Response {
    return this.#real ??= new Response(this._body, {
      status: this.status,
      headers: this.headers,
    });
  }
}

/** Builds a {@link PlainResponse} (a `PlainResponseBuilder` for the engine). */
export function plainResponse(
  body: string | Uint8Array<ArrayBuffer>,
  status: number,
  headers: Headers,
): Response {
  return new PlainResponse(body, status, headers) as unknown as Response;
}

for (const key of ["body", "bodyUsed", "redirected", "statusText", "type", "url"]) {
  Object.defineProperty(PlainResponse.prototype, key, {
    get(this: PlainResponse) {
      return (this._real() as unknown as Record<string, unknown>)[key];
    },
  });
}
for (const key of ["arrayBuffer", "blob", "bytes", "clone", "formData", "json", "text"]) {
  Object.defineProperty(PlainResponse.prototype, key, {
    value(this: PlainResponse) {
      const real = this._real() as unknown as Record<string, () => unknown>;
      return real[key]!();
    },
  });
}
Object.setPrototypeOf(PlainResponse.prototype, Response.prototype);

/**
 * Writes the app's answer as it is (@hono/node-server's writer would add
 * "text/plain; charset=UTF-8" to answers without a content-type).
 */
export async function writeResponse(res: Response, outgoing: ServerResponse): Promise<void> {
  const headers = headerRecord(res.headers);
  if (res instanceof PlainResponse && !res._materialized) {
    const body = res._body;
    if (!("content-length" in headers)) {
      headers["content-length"] = String(
        typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.byteLength,
      );
    }
    outgoing.writeHead(res.status, headers).end(body);
    return;
  }
  if (res.body === null) {
    outgoing.writeHead(res.status, headers).end();
    return;
  }
  let body: Uint8Array;
  try {
    body = new Uint8Array(await res.arrayBuffer());
  } catch {
    outgoing.destroy(); // a body that failed halfway has no valid answer
    return;
  }
  if (!("content-length" in headers)) headers["content-length"] = String(body.byteLength);
  outgoing.writeHead(res.status, headers).end(body);
}

function headerRecord(from: Headers): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = {};
  let cookies = false;
  from.forEach((value, name) => {
    if (name === "set-cookie") cookies = true;
    else headers[name] = value;
  });
  // each cookie its own line (forEach gives them one by one, but getSetCookie is the list)
  if (cookies) headers["set-cookie"] = from.getSetCookie();
  return headers;
}

/**
 * The `watchClientGone` of Node's requests: a {@link NodeRequest}'s own
 * watch; any other `Request` (an app that made its own) keeps `req.signal`.
 */
export function watchClientGone(req: Request, gone: () => void): (() => void) | undefined {
  return req instanceof NodeRequest ? req._watchGone(gone) : undefined;
}
