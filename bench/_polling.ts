/**
 * The long-polling scenario: Engine.IO polling sessions spoken with `fetch`,
 * each repeating `echo` calls (POST the call while a GET waits for the ack).
 *
 * @module
 */

import { quantile } from "./_stats.ts";
import { echoFrame } from "./_wire.ts";

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

function _timeout(): AbortSignal {
  return AbortSignal.timeout(REQUEST_TIMEOUT_MS);
}

class _Session {
  #url: string;
  constructor(base: string, sid: string) {
    this.#url = `${base}&sid=${encodeURIComponent(sid)}`;
  }

  async post(body: string): Promise<void> {
    const res = await fetch(this.#url, { method: "POST", body, signal: _timeout() });
    const text = await res.text();
    if (!res.ok) throw new Error(`POST ${res.status}: ${text}`);
  }

  /** GETs until a packet matches `want`, answering pings on the way. */
  async pollFor(first: Promise<Response>, want: (packet: string) => boolean): Promise<void> {
    let pending: Promise<Response> | undefined = first;
    for (let polls = 0; polls < 100; polls++) {
      const res: Response = await (pending ?? this.get());
      pending = undefined;
      const text = await res.text();
      if (!res.ok) throw new Error(`GET ${res.status}: ${text}`);
      let found = false;
      for (const packet of text.split(SEPARATOR)) {
        if (want(packet)) found = true;
        else if (packet === "2") await this.post("3");
        else if (packet === "1") throw new Error("session closed by the server");
      }
      if (found) return;
    }
    throw new Error("no answer after 100 polls");
  }

  get(): Promise<Response> {
    return fetch(this.#url, { signal: _timeout() });
  }
}

async function _open(port: number): Promise<_Session> {
  const base = `http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`;
  const res = await fetch(base, { signal: _timeout() });
  const open = await res.text();
  if (!res.ok || open[0] !== "0") throw new Error(`handshake ${res.status}: ${open}`);
  const session = new _Session(base, (JSON.parse(open.slice(1)) as { sid: string }).sid);
  await session.post("40");
  await session.pollFor(session.get(), (p) => p.startsWith("40"));
  return session;
}

/** `clients` polling sessions repeat echo round trips until `durationMs` or `maxRoundTrips`. */
export async function pollingEcho(
  port: number,
  clients: number,
  durationMs: number,
  maxRoundTrips: number,
): Promise<PollingResult> {
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  const fail = (err: unknown) => {
    errors++;
    firstError ??= (err as Error).message;
  };
  const opened = await Promise.allSettled(Array.from({ length: clients }, () => _open(port)));
  const sessions: _Session[] = [];
  for (const o of opened) o.status === "fulfilled" ? sessions.push(o.value) : fail(o.reason);
  // the clock starts once every session is open: handshakes are not round trips
  const start = performance.now();
  const deadline = start + durationMs;
  const loop = async (session: _Session) => {
    try {
      for (let id = 0; performance.now() < deadline && latencies.length < maxRoundTrips; id++) {
        const t0 = performance.now();
        const get = session.get(); // parked until the ack is queued
        await session.post(echoFrame("sio", id, "echo-payload-0123456789abcdef"));
        const prefix = `43${id}[`;
        await session.pollFor(get, (p) => p.startsWith(prefix));
        latencies.push(performance.now() - t0);
      }
    } catch (err) {
      fail(err);
    }
  };
  await Promise.all(sessions.map(loop));
  const ms = performance.now() - start;
  await Promise.allSettled(sessions.map((s) => s.post("1")));
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
