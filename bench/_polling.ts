/**
 * The long-polling scenario: polling sessions, each repeating `echo` calls
 * (POST the call while a GET waits for the ack): Engine.IO sessions against
 * Socket.IO servers, the bare GET/POST pair of `servers/_raw_polling.ts`
 * against the raw ones. The held GET and the POST of a session each have
 * their own keep-alive connection.
 *
 * @module
 */

import process from "node:process";
import { Http1Connection, type HttpAnswer } from "./_http1.ts";
import { quantile } from "./_stats.ts";
import { echoFrame, type Proto } from "./_wire.ts";

/** What a polling run measured. */
export interface PollingResult {
  /** Completed echo round trips (call posted, ack polled). */
  roundTrips: number;
  /** Milliseconds the run took. */
  ms: number;
  /** Round trips per second. */
  rate: number;
  /** Median round-trip latency (ms). */
  p50: number;
  /** 99th percentile round-trip latency (ms). */
  p99: number;
  /** Sessions that failed. */
  errors: number;
  /** The first failure's message, if any. */
  firstError?: string;
}

const SEPARATOR = "\x1e";

/** No request waits longer than this: a parked GET is answered within a ping interval. */
const REQUEST_TIMEOUT_MS = 10_000;

/** How the load speaks HTTP: its own keep-alive client (default) or the runtime's `fetch`. */
export type HttpClient = "http1" | "fetch";

/** Two requests at once per session (the held GET and the POST), each on its own connection. */
interface _Lane {
  request(method: string, path: string, body?: string): Promise<HttpAnswer>;
  close(): void;
}

function _lane(port: number, client: HttpClient): _Lane {
  if (client === "http1") return new Http1Connection(port, REQUEST_TIMEOUT_MS);
  const origin = `http://127.0.0.1:${port}`;
  return {
    async request(method, path, body) {
      const res = await fetch(origin + path, {
        method,
        ...(body !== undefined && { body }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      return { status: res.status, body: await res.text() };
    },
    close() {},
  };
}

/** One polling session: a lane for GETs, one for POSTs. */
class _Session {
  readonly #gets: _Lane;
  readonly #posts: _Lane;
  #path = "";

  constructor(readonly proto: Proto, port: number, client: HttpClient) {
    this.#gets = _lane(port, client);
    this.#posts = _lane(port, client);
  }

  /** Engine.IO: handshake and namespace CONNECT; raw: a fresh session id. */
  async open(rawSid: string): Promise<void> {
    if (this.proto === "raw") {
      this.#path = `/poll?sid=${rawSid}`;
      return;
    }
    const base = "/socket.io/?EIO=4&transport=polling";
    const res = await this.#gets.request("GET", base);
    if (res.status !== 200 || res.body[0] !== "0") {
      throw new Error(`handshake ${res.status}: ${res.body}`);
    }
    const { sid } = JSON.parse(res.body.slice(1)) as { sid: string };
    this.#path = `${base}&sid=${encodeURIComponent(sid)}`;
    await this.post("40");
    await this.pollFor(this.get(), (p) => p.startsWith("40"));
  }

  async post(body: string): Promise<void> {
    const res = await this.#posts.request("POST", this.#path, body);
    if (res.status !== 200) throw new Error(`POST ${res.status}: ${res.body}`);
  }

  get(): Promise<HttpAnswer> {
    return this.#gets.request("GET", this.#path);
  }

  /** GETs until a packet matches `want`, answering Engine.IO pings on the way. */
  async pollFor(first: Promise<HttpAnswer>, want: (packet: string) => boolean): Promise<void> {
    let pending: Promise<HttpAnswer> | undefined = first;
    for (let polls = 0; polls < 100; polls++) {
      const res: HttpAnswer = await (pending ?? this.get());
      pending = undefined;
      if (res.status !== 200) throw new Error(`GET ${res.status}: ${res.body}`);
      let found = false;
      for (const packet of res.body.split(SEPARATOR)) {
        if (want(packet)) found = true;
        else if (this.proto === "raw") continue;
        else if (packet === "2") await this.post("3");
        else if (packet === "1") throw new Error("session closed by the server");
      }
      if (found) return;
    }
    throw new Error("no answer after 100 polls");
  }

  /** Ends the session (Engine.IO: a close packet) and its connections. */
  async close(): Promise<void> {
    try {
      if (this.proto === "sio") await this.post("1");
    } finally {
      this.#gets.close();
      this.#posts.close();
    }
  }
}

let _rawSessions = 0;

/**
 * `clients` polling sessions repeat echo round trips until `durationMs` or
 * `maxRoundTrips`: Engine.IO sessions (`sio`), or the raw servers' bare
 * GET/POST pair (`raw`), over the load's own HTTP/1.1 client or `fetch`.
 */
export async function pollingEcho(
  proto: Proto,
  port: number,
  clients: number,
  durationMs: number,
  maxRoundTrips: number,
  client: HttpClient = "http1",
): Promise<PollingResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const fail = (err: unknown) => {
    errors++;
    firstError ??= (err as Error).message;
  };
  const opened = await Promise.allSettled(
    Array.from({ length: clients }, async () => {
      const session = new _Session(proto, port, client);
      await session.open(`${process.pid}-${++_rawSessions}`);
      return session;
    }),
  );
  const sessions: _Session[] = [];
  for (const o of opened) o.status === "fulfilled" ? sessions.push(o.value) : fail(o.reason);
  // the clock starts once every session is open: handshakes are not round trips
  const start = performance.now();
  const deadline = start + durationMs;
  const payload = "echo-payload-0123456789abcdef";
  const loop = async (session: _Session) => {
    try {
      for (let id = 0; performance.now() < deadline && latencies.length < maxRoundTrips; id++) {
        const t0 = performance.now();
        const get = session.get(); // parked until the ack is queued
        await session.post(echoFrame(proto, id, payload));
        const prefix = proto === "sio" ? `43${id}[` : `a${id}|`;
        await session.pollFor(get, (p) => p.startsWith(prefix));
        latencies.push(performance.now() - t0);
      }
    } catch (err) {
      fail(err);
    }
  };
  await Promise.all(sessions.map(loop));
  const ms = performance.now() - start;
  await Promise.allSettled(sessions.map((s) => s.close()));
  return {
    roundTrips: latencies.length,
    ms,
    rate: latencies.length / (ms / 1000),
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    errors,
    ...(firstError ? { firstError } : {}),
  };
}
