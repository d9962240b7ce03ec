/**
 * In-process helpers for the socket layer's tests: a client that speaks the Socket.IO wire protocol over Engine.IO long-polling
 * by calling the server's `handle()` with `new Request(...)` — no port, no
 * sleeping.
 *
 * @module
 */

import type { EngineServer } from "../../src/engine/server.ts";
import type { EngineSocket } from "../../src/engine/socket.ts";

/** Lets pending microtasks (handlers, middlewares, promise chains) run. */
export async function settle(rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i++) await null;
}

/** What the tests need from a server: its fetch handler and its engine. */
export interface WireServer {
  handle(req: Request): Promise<Response>;
  readonly engine: EngineServer;
}

/** Options of {@link WireClient.connect}. */
export interface WireOptions {
  /** The server path. @default "/socket.io/" */
  path?: string;
  /** Extra query parameters of the handshake. */
  query?: Record<string, string>;
  /** Extra request headers of the handshake. */
  headers?: Record<string, string>;
}

const SEPARATOR = "\x1e";

/**
 * One Engine.IO session over long-polling. What the server sends is captured
 * as it is queued (the engine's `packetCreate`), so a test reads it without
 * a parked GET.
 */
export class WireClient {
  readonly sid: string;
  readonly conn: EngineSocket;
  readonly #server: WireServer;
  readonly #base: string;
  #inbox: (string | Uint8Array)[] = [];
  #closeReason: string | undefined;

  private constructor(server: WireServer, base: string, sid: string, conn: EngineSocket) {
    this.#server = server;
    this.#base = base;
    this.sid = sid;
    this.conn = conn;
    conn.on("packetCreate", (packet) => {
      if (packet.type === "message") this.#inbox.push(packet.data ?? "");
    });
    conn.on("close", (reason) => (this.#closeReason = reason));
  }

  /** Opens a session (the Engine.IO handshake). */
  static async connect(server: WireServer, opts: WireOptions = {}): Promise<WireClient> {
    const query = new URLSearchParams({ EIO: "4", transport: "polling", ...opts.query });
    const base = `http://localhost${opts.path ?? "/socket.io/"}`;
    const res = await server.handle(
      new Request(`${base}?${query}`, { headers: opts.headers ?? {} }),
    );
    const body = await res.text();
    if (res.status !== 200 || !body.startsWith("0")) {
      throw new Error(`handshake failed: ${res.status} ${body}`);
    }
    const sid = (JSON.parse(body.split(SEPARATOR)[0]!.slice(1)) as { sid: string }).sid;
    const conn = [...server.engine.clients()].find((c) => c.id === sid);
    if (!conn) throw new Error("no engine session for " + sid);
    return new WireClient(server, base, sid, conn);
  }

  /** Why the session closed, if it did. */
  get closeReason(): string | undefined {
    return this.#closeReason;
  }

  /** Sends Socket.IO packets (text parts and attachments) in one POST. */
  async send(...messages: (string | Uint8Array)[]): Promise<Response> {
    const payload = messages.map((m) => typeof m === "string" ? "4" + m : "b" + toBase64(m)).join(
      SEPARATOR,
    );
    return await this.post(payload);
  }

  /** POSTs a raw Engine.IO payload. */
  async post(payload: string): Promise<Response> {
    const url = `${this.#base}?EIO=4&transport=polling&sid=${this.sid}`;
    const res = await this.#server.handle(new Request(url, { method: "POST", body: payload }));
    await res.arrayBuffer();
    await settle();
    return res;
  }

  /** Every message received since the last call, and forgets them. */
  take(): (string | Uint8Array)[] {
    const out = this.#inbox;
    this.#inbox = [];
    return out;
  }

  /** The text messages received since the last call. */
  takeText(): string[] {
    return this.take().filter((m): m is string => typeof m === "string");
  }

  /** Connects to namespace `nsp`; returns the CONNECT answer (or CONNECT_ERROR) packet. */
  async connectNsp(nsp = "/", auth?: Record<string, unknown>): Promise<string> {
    const prefix = nsp === "/" ? "" : nsp + ",";
    await this.send("0" + prefix + (auth ? JSON.stringify(auth) : ""));
    const answer = this.takeText().find((m) =>
      m.startsWith("0" + prefix) || m.startsWith("4" + prefix)
    );
    if (!answer) throw new Error(`no answer to CONNECT ${nsp}`);
    return answer;
  }

  /** Closes the session from the client side (an Engine.IO close packet). */
  async close(): Promise<void> {
    if (this.conn.readyState === "closed") return;
    await this.post("1");
  }
}

/** The `sid` of a CONNECT answer such as `0{"sid":"..."}` or `0/admin,{"sid":"..."}`. */
export function sidOf(answer: string): string {
  return (JSON.parse(answer.slice(answer.indexOf("{"))) as { sid: string }).sid;
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
