/**
 * A scripted client at the wire level for the conformance suite: raw HTTP
 * long-polling with `fetch`, raw WebSocket frames, and the normalisation of
 * the random ids (sid, socket ids, pids, offsets) so that what two servers
 * answered can be compared with `deepEqual`.
 *
 * Received Engine.IO packets are kept as strings: text packets as sent
 * (`40{"sid":…}`, `42["x"]`), base64 packets of polling as sent (`bAQID`),
 * binary WebSocket frames as `<binary 010203>`, a WebSocket close as
 * `<close 1005 >`, and a polling GET that failed as `<http 400 {…}>` or
 * `<network error>`.
 *
 * @module
 */

import { connect } from "node:net";
import { openWebSocket, type TestWebSocket } from "../_support/ws_client.ts";

/** The Engine.IO payload separator. */
export const SEP = "\x1e";

/** Replaces random ids by placeholders such as `<sid1>`, numbered per kind in order seen. */
export class Ids {
  #names = new Map<string, string>();
  #counts = new Map<string, number>();
  /** Ack ids the server chose for its events (`"/ 3"`), which depend on the server's history. */
  #serverAcks = new Map<string, string>();

  /** Records `value` (if a new non-empty string) as an id of `kind`. */
  add(kind: string, value: unknown): void {
    if (typeof value !== "string" || value === "" || this.#names.has(value)) return;
    const n = (this.#counts.get(kind) ?? 0) + 1;
    this.#counts.set(kind, n);
    this.#names.set(value, `<${kind}${n}>`);
  }

  /**
   * Records the ids a received packet reveals: an open packet's sid, a
   * CONNECT's sid and pid, and (with `offsets`) the offset that connection
   * state recovery appends to every event.
   */
  scan(packet: string): void {
    if (packet.startsWith("0{")) this.add("sid", _json(packet.slice(1))?.sid);
    const sio = packet.startsWith("4") ? parseSocketPacket(packet.slice(1)) : undefined;
    if (sio?.type === 0) {
      const body = sio.data as Record<string, unknown> | undefined;
      this.add("id", body?.sid);
      this.add("pid", body?.pid);
    }
    const event = sio?.type === 2 || sio?.type === 5;
    if (event && sio.id !== undefined) {
      const key = `${sio.nsp} ${sio.id}`;
      if (!this.#serverAcks.has(key)) {
        this.#serverAcks.set(key, `<ack${this.#serverAcks.size + 1}>`);
      }
    }
    if (this.offsets && event && Array.isArray(sio.data)) {
      this.add("offset", sio.data.at(-1));
    }
  }

  #normAck(line: string): string {
    const match = _TRANSCRIPT_PACKET.exec(line);
    if (!match) return line;
    const [, dir, type, attachments = "", nsp = "", id, rest] = match;
    const fromServer = dir === "< 4" && (type === "2" || type === "5");
    const toServer = dir === "> 4" && (type === "3" || type === "6");
    const name = this.#serverAcks.get(`${nsp ? nsp.slice(0, -1) : "/"} ${id}`);
    if (!name || !(fromServer || toServer)) return line;
    return `${dir}${type}${attachments}${nsp}${name}${rest}`;
  }

  /** Whether events carry recovery offsets (set for the recovery server). */
  offsets = false;

  /**
   * `value` with every recorded id replaced (longest first, so no id eats
   * another), and in transcript lines (`< …`, `> …`) the ack ids the server
   * chose: the official server counts them per namespace, not per socket.
   */
  norm<T>(value: T): T {
    let text = JSON.stringify(value, (_key, v) => typeof v === "string" ? this.#normAck(v) : v);
    const ids = [...this.#names].sort(([a], [b]) => b.length - a.length);
    for (const [id, name] of ids) text = text.replaceAll(id, name);
    return JSON.parse(text) as T;
  }
}

/** A Socket.IO packet's parts, as far as the suite needs them. */
export interface SocketPacketParts {
  type: number;
  attachments?: number;
  nsp: string;
  id?: number;
  data?: unknown;
}

/** Splits a Socket.IO text packet (`451-/nsp,7[…]`); `undefined` if it is not one. */
export function parseSocketPacket(text: string): SocketPacketParts | undefined {
  const match = /^(\d)(?:(\d+)-)?(\/[^,]*,)?(\d+)?(.*)$/s.exec(text);
  if (!match) return undefined;
  const [, type, attachments, nsp, id, rest] = match;
  const parts: SocketPacketParts = { type: Number(type), nsp: nsp ? nsp.slice(0, -1) : "/" };
  if (attachments !== undefined) parts.attachments = Number(attachments);
  if (id !== undefined) parts.id = Number(id);
  if (rest) parts.data = _parse(rest);
  return parts;
}

function _parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const _TRANSCRIPT_PACKET = /^([<>] 4)(\d)(\d+-)?(\/[^,]*,)?(\d+)(.*)$/s;

function _json(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}

/** What an HTTP answer looked like. */
export interface HttpAnswer {
  status: number;
  /** The content-type header, or null. */
  type: string | null;
  body: string;
  headers: Headers;
}

/** A request whose transport failed (reset, refused) instead of answering. */
export interface NetworkError {
  error: "network";
}

/** `fetch` with a bounded wait; a failed connection becomes {@link NetworkError}. */
export async function request(
  url: string,
  init: RequestInit = {},
  timeoutMs = 5_000,
): Promise<HttpAnswer | NetworkError> {
  const timeout = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: timeout });
  } catch (err) {
    if (timeout.aborted) throw new Error(`no answer to ${init.method ?? "GET"} ${url}`);
    void err;
    return { error: "network" };
  }
  const body = await res.text().catch(() => "<body cut>");
  return { status: res.status, type: res.headers.get("content-type"), body, headers: res.headers };
}

/** The headers of `answer` named in `names` (absent ones left out), for comparison. */
export function pickHeaders(answer: HttpAnswer, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = answer.headers.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

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

/** `read` exactly `n` packets. */
export function count(n: number): (packets: string[]) => boolean {
  return (packets) => packets.length >= n;
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
    const open = _json(packets[0]!.slice(1));
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
    const open = typeof first === "string" ? _json(first.slice(1)) : undefined;
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

/** `read` until a packet starts with `prefix` and `n` more packets follow it. */
export function after(prefix: string, n: number): (packets: string[]) => boolean {
  return (packets) => {
    const i = packets.findIndex((p) => p.startsWith(prefix));
    return i !== -1 && packets.length - i - 1 >= n;
  };
}

/** What a raw exchange on a socket saw: the status line's code, the head, and what followed. */
export interface RawAnswer {
  status: number;
  /** The content-type header (any case), or null. */
  type: string | null;
  /** What came after the head, as latin1 text. */
  body: string;
}

/**
 * Writes `head` (a complete request head) to 127.0.0.1:`port` and collects
 * the answer until the server ends the connection, or `quietMs` after the
 * last byte (an upgraded socket stays open), or `timeoutMs` in all.
 */
export function rawExchange(
  port: number,
  head: string,
  quietMs = 300,
  timeoutMs = 3_000,
): Promise<RawAnswer | { error: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    let quiet: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(quiet);
      clearTimeout(overall);
      socket.destroy();
      const end = data.indexOf("\r\n\r\n");
      if (end === -1) return resolve({ error: data === "" ? "no answer" : `cut: ${data}` });
      const [status, ...lines] = data.slice(0, end).split("\r\n");
      const type = lines.find((l) => /^content-type:/i.test(l))?.slice(13).trim() ?? null;
      resolve({ status: Number(status!.split(" ")[1]), type, body: data.slice(end + 4) });
    };
    const overall = setTimeout(finish, timeoutMs);
    socket.setEncoding("latin1");
    socket.on("connect", () => socket.write(head));
    socket.on("data", (chunk: string) => {
      data += chunk;
      clearTimeout(quiet);
      quiet = setTimeout(finish, quietMs);
    });
    socket.on("error", finish);
    socket.on("close", finish);
  });
}

/** Standard base64 of `bytes`. */
export function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** Lower-case hex of `bytes`. */
export function toHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Waits `ms` (only where a scenario must let a server act on its own). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
