/**
 * A scripted Engine.IO client at the wire level for the conformance suite:
 * long-polling with `fetch`, and raw WebSocket frames.
 *
 * Received Engine.IO packets are kept as strings: text packets as sent
 * (`40{"sid":…}`, `42["x"]`), base64 packets of polling as sent (`bAQID`),
 * binary WebSocket frames as `<binary 010203>`, a WebSocket close as
 * `<close 1005 >`, and a polling GET that failed as `<http 400 {…}>` or
 * `<network error>`.
 *
 * @module
 */

import { openWebSocket, type TestWebSocket } from "../_support/ws_client.ts";
import { type HttpAnswer, type NetworkError, request } from "./_http.ts";
import { type Ids, jsonObject } from "./_ids.ts";

/** The Engine.IO payload separator. */
export const SEP = "\x1e";

/** What an Engine.IO connection (polling or WebSocket) does for a scenario. */
export interface Conn {
  readonly sid: string;
  /**
   * Sends Engine.IO packets: strings as text packets (`"42[…]"`), bytes as
   * binary ones. Polling sends them in one POST and returns its answer.
   */
  send(...packets: (string | Uint8Array)[]): Promise<HttpAnswer | NetworkError | undefined>;
  /**
   * Reads packets until `done` holds for the packets read by this call,
   * returning exactly that shortest prefix; the rest stays for the next call.
   */
  read(done: (packets: string[]) => boolean): Promise<string[]>;
  /** Ends the connection without a word (closes the WebSocket; stops polling). */
  end(): Promise<void>;
  /**
   * What was sent (`> 42[…]`) and read (`< 43[…]`) so far, in order; a
   * POST's answer is `< POST 200 ok` or `< POST network error`.
   */
  readonly log: string[];
}

/** `read` until a packet starts with `prefix`. */
export function upTo(prefix: string): (packets: string[]) => boolean {
  return (packets) => packets.some((p) => p.startsWith(prefix));
}

/** `read` until a packet starts with `prefix` and `n` more packets follow it. */
export function after(prefix: string, n: number): (packets: string[]) => boolean {
  return (packets) => {
    const i = packets.findIndex((p) => p.startsWith(prefix));
    return i !== -1 && packets.length - i - 1 >= n;
  };
}

abstract class _Inbox {
  #inbox: string[] = [];
  protected readonly ids: Ids;
  readonly log: string[] = [];

  constructor(ids: Ids) {
    this.ids = ids;
  }

  /** Fetches the next batch of packets (one GET, one frame); `[]` when nothing will come. */
  protected abstract more(): Promise<string[]>;

  /** Keeps packets that arrived outside `read` for the next `read`. */
  protected keep(packets: string[]): void {
    for (const packet of packets) this.ids.scan(packet);
    this.#inbox.push(...packets);
  }

  async read(done: (packets: string[]) => boolean): Promise<string[]> {
    for (let round = 0; round < 50; round++) {
      for (let n = 1; n <= this.#inbox.length; n++) {
        if (!done(this.#inbox.slice(0, n))) continue;
        const packets = this.#inbox.splice(0, n);
        for (const p of packets) this.log.push(`< ${p}`);
        return packets;
      }
      const batch = await this.more().catch((err: Error) => {
        throw new Error(`${err.message} after ${JSON.stringify(this.log)}`);
      });
      if (!batch.length) break;
      for (const packet of batch) this.ids.scan(packet);
      this.#inbox.push(...batch);
    }
    throw new Error(
      `expected packets did not come; got ${JSON.stringify(this.#inbox)} after ${
        JSON.stringify(this.log)
      }`,
    );
  }
}

/** Options of a handshake. */
export interface OpenOptions {
  /** Extra query parameters. */
  query?: Record<string, string>;
  /** Extra request headers (polling only). */
  headers?: Record<string, string>;
}

/** An Engine.IO session over HTTP long-polling. */
export class PollingConn extends _Inbox implements Conn {
  readonly sid: string;
  /** The handshake's answer. */
  readonly handshake: HttpAnswer;
  readonly #url: string;
  #ended = false;

  private constructor(ids: Ids, url: string, sid: string, handshake: HttpAnswer) {
    super(ids);
    this.#url = url;
    this.sid = sid;
    this.handshake = handshake;
  }

  /** Opens a session at `base` (e.g. `http://127.0.0.1:1234/socket.io/`); throws if refused. */
  static async open(ids: Ids, base: string, opts: OpenOptions = {}): Promise<PollingConn> {
    const query = new URLSearchParams({ EIO: "4", transport: "polling", ...opts.query });
    const answer = await request(`${base}?${query}`, { headers: opts.headers ?? {} });
    if ("error" in answer || answer.status !== 200) {
      throw new Error(`handshake refused: ${JSON.stringify(answer)}`);
    }
    const packets = answer.body.split(SEP);
    const open = jsonObject(packets[0]!.slice(1));
    if (!packets[0]!.startsWith("0") || typeof open?.sid !== "string") {
      throw new Error(`no open packet: ${answer.body}`);
    }
    query.set("sid", open.sid);
    const conn = new PollingConn(ids, `${base}?${query}`, open.sid, answer);
    ids.scan(packets[0]!);
    return conn;
  }

  /** The session's URL (with its sid), for hand-made requests. */
  get url(): string {
    return this.#url;
  }

  send(...packets: (string | Uint8Array)[]): Promise<HttpAnswer | NetworkError> {
    const encoded = packets.map((p) => typeof p === "string" ? p : "b" + toBase64(p));
    return this.post(encoded.join(SEP));
  }

  /** POSTs a raw payload (logging each packet and the answer). */
  async post(body: string): Promise<HttpAnswer | NetworkError> {
    for (const p of body.split(SEP)) this.log.push(`> ${p}`);
    const answer = await request(this.#url, { method: "POST", body });
    this.log.push(
      "error" in answer ? "< POST network error" : `< POST ${answer.status} ${answer.body}`,
    );
    return answer;
  }

  /** One GET, as the packets it answered. */
  async poll(): Promise<string[]> {
    const answer = await request(this.#url);
    if ("error" in answer) return ["<network error>"];
    if (answer.status !== 200) return [`<http ${answer.status} ${answer.body}>`];
    return answer.body.split(SEP);
  }

  protected async more(): Promise<string[]> {
    if (this.#ended) return [];
    const packets = await this.poll();
    // after a close packet or a refusal, polling stops (as the official client does)
    if (packets.some((p) => p === "1" || p.startsWith("<"))) this.#ended = true;
    return packets;
  }

  end(): Promise<void> {
    this.#ended = true;
    return Promise.resolve();
  }
}

/** An Engine.IO session over WebSocket (a fresh one, or the upgrade of a polling one). */
export class WsConn extends _Inbox implements Conn {
  readonly sid: string;
  readonly #ws: TestWebSocket;
  #closed = false;

  private constructor(ids: Ids, ws: TestWebSocket, sid: string) {
    super(ids);
    this.#ws = ws;
    this.sid = sid;
  }

  /** Opens a WebSocket session at `base` (an `http://` URL); with `sid`, an upgrade. */
  static async open(ids: Ids, base: string, opts: OpenOptions & { sid?: string } = {}) {
    const query = new URLSearchParams({ EIO: "4", transport: "websocket", ...opts.query });
    if (opts.sid) query.set("sid", opts.sid);
    const ws = await openWebSocket(`${base.replace(/^http/, "ws")}?${query}`);
    if (opts.sid) return new WsConn(ids, ws, opts.sid);
    const first = await ws.nextMessage();
    const open = typeof first === "string" ? jsonObject(first.slice(1)) : undefined;
    if (typeof first !== "string" || !first.startsWith("0") || typeof open?.sid !== "string") {
      await ws.close();
      throw new Error(`no open packet: ${String(first)}`);
    }
    const conn = new WsConn(ids, ws, open.sid);
    ids.scan(first);
    conn.opened = first;
    return conn;
  }

  /** The open packet (for a fresh session). */
  opened = "";

  send(...packets: (string | Uint8Array)[]): Promise<undefined> {
    for (const p of packets) {
      this.log.push(`> ${typeof p === "string" ? p : `<binary ${toHex(p)}>`}`);
      this.#ws.socket.send(p);
    }
    return Promise.resolve(undefined);
  }

  protected async more(timeoutMs = 5_000): Promise<string[]> {
    if (this.#closed) return [];
    const event = await this.#ws.next(timeoutMs);
    if (event.type === "close") {
      this.#closed = true;
      return [`<close ${event.code} ${event.reason}>`];
    }
    const data = event.data;
    return [typeof data === "string" ? data : `<binary ${toHex(data)}>`];
  }

  async end(): Promise<void> {
    this.#closed = true;
    await this.#ws.close().catch(() => {});
  }

  /** Whether the server closes the socket within `ms` (frames that come meanwhile are kept). */
  async closesWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.#closed) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      const batch = await this.more(left).catch(() => undefined);
      if (!batch) return false;
      this.keep(batch);
    }
    return true;
  }
}

/** Standard base64 of `bytes`. */
function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Lower-case hex of `bytes`. */
function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Waits `ms` (only where a scenario must let a server act on its own). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
