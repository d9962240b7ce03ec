/**
 * A minimal HTTP/1.1 keep-alive client over `node:net` for the polling load:
 * one request at a time per connection, bodies read by Content-Length or
 * chunked encoding, a new connection when the server closed the last one.
 * `fetch` costs the load process about 50 µs per polling round trip on Bun,
 * which made the load generator the ceiling of the polling cells (about 20k
 * round trips/s on its one core); this does the same requests for a fraction.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { connect, type Socket } from "node:net";

/** One answer. */
export interface HttpAnswer {
  /** The status code. */
  status: number;
  /** The body, as UTF-8 text. */
  body: string;
}

const CRLF2 = Buffer.from("\r\n\r\n");

/** One keep-alive connection to `127.0.0.1:<port>`. */
export class Http1Connection {
  #socket: Socket | undefined;
  #buf: Buffer = Buffer.alloc(0);
  #pending: { resolve(a: HttpAnswer): void; reject(e: Error): void } | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly port: number, readonly timeoutMs: number) {}

  /** Sends one request (`body` makes it carry a text body) and resolves to its answer. */
  request(method: string, path: string, body?: string): Promise<HttpAnswer> {
    if (this.#pending) return Promise.reject(new Error("a request is already in flight"));
    const socket = this.#socket ?? this.#open();
    let head = `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\nAccept: */*\r\n`;
    if (body !== undefined) {
      head += `Content-Type: text/plain;charset=UTF-8\r\nContent-Length: ${
        Buffer.byteLength(body)
      }\r\n`;
    }
    return new Promise((resolve, reject) => {
      this.#pending = { resolve, reject };
      this.#timer = setTimeout(() => this.#fail(new Error(`${method} timed out`)), this.timeoutMs);
      socket.write(head + "\r\n" + (body ?? ""));
    });
  }

  /** Closes the connection. */
  close(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }

  #open(): Socket {
    const socket = connect({ port: this.port, host: "127.0.0.1", noDelay: true });
    this.#socket = socket;
    this.#buf = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    const gone = (err?: Error) => {
      if (this.#socket === socket) this.#socket = undefined;
      this.#fail(err ?? new Error("connection closed"));
    };
    socket.on("error", gone);
    socket.on("close", () => gone());
    return socket;
  }

  #fail(err: Error): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#settle();
    this.close();
    pending.reject(err);
  }

  #settle(): void {
    clearTimeout(this.#timer);
    this.#pending = undefined;
  }

  #onData(chunk: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : chunk;
    const pending = this.#pending;
    if (!pending) return;
    const parsed = this.#parse();
    if (!parsed) return;
    this.#settle();
    if (parsed.close) this.close();
    pending.resolve(parsed.answer);
  }

  /** A whole response at the start of the buffer (consumed), or `undefined` for more bytes. */
  #parse(): { answer: HttpAnswer; close: boolean } | undefined {
    const buf = this.#buf;
    const end = buf.indexOf(CRLF2);
    if (end < 0) return undefined;
    const lines = buf.toString("latin1", 0, end).split("\r\n");
    const status = Number(lines[0]!.slice(9, 12));
    let length = -1, chunked = false, close = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(":");
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim().toLowerCase();
      if (name === "content-length") length = Number(value);
      else if (name === "transfer-encoding") chunked = value.includes("chunked");
      else if (name === "connection") close = value === "close";
    }
    let at = end + 4;
    let body: string;
    if (chunked) {
      const parts: Buffer[] = [];
      while (true) {
        const lineEnd = buf.indexOf("\r\n", at);
        if (lineEnd < 0) return undefined;
        const size = parseInt(buf.toString("latin1", at, lineEnd), 16);
        if (!Number.isFinite(size)) throw new Error("bad chunk size");
        if (size === 0) {
          // no trailers are expected: the last chunk is "0\r\n\r\n"
          if (buf.length < lineEnd + 4) return undefined;
          at = lineEnd + 4;
          break;
        }
        if (buf.length < lineEnd + 2 + size + 2) return undefined;
        parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(parts).toString("utf8");
    } else {
      if (length < 0) length = 0; // no body framing: responses here always declare one
      if (buf.length < at + length) return undefined;
      body = buf.toString("utf8", at, at + length);
      at += length;
    }
    this.#buf = buf.subarray(at);
    return { answer: { status, body }, close };
  }
}
