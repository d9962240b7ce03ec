/**
 * Property-based fuzzing (fast-check, seeded): mutated packets through the
 * Engine.IO and Socket.IO decoders and through a whole server, and malformed
 * requests through the fetch handler. Quick here; `npm run soak` runs the
 * full sizes (≥ 1,000,000 packets, ≥ 100,000 requests).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodePacket, decodePayload } from "../../src/parser/engine_packet.ts";
import { Decoder, ParseError } from "../../src/parser/socket_decoder.ts";
import { encodePacket, PacketType } from "../../src/parser/socket_packet.ts";
import type { RequestContext, WebSocketEvents } from "../../src/engine/ports.ts";
import { Server } from "../../src/socket/server.ts";
import { FakeWebSocket } from "../_support/fake_websocket.ts";
import {
  type FuzzRequest,
  fuzzRequest,
  mutatedPacket,
  OFFICIAL_REASONS,
  payload,
  SEED,
  SOAK,
  watchUncaught,
} from "./_fuzz.ts";

const RUNS = {
  decoder: SOAK ? 200_000 : 3_000,
  server: SOAK ? 1_000_000 : 3_000,
  requests: SOAK ? 100_000 : 1_500,
  roundTrip: SOAK ? 50_000 : 500,
};

/** Figures a soak run prints. */
export const figures: Record<string, number> = {};

function params(numRuns: number): fc.Parameters<unknown> {
  return { seed: SEED, numRuns, endOnFailure: true };
}

let uncaught: ReturnType<typeof watchUncaught>;
const consoleError = console.error;
let logged = 0;
before(() => {
  uncaught = watchUncaught();
  console.error = () => logged++;
});
after(() => {
  uncaught.stop();
  console.error = consoleError;
  assert.deepEqual(uncaught.errors, [], "uncaught errors or unhandled rejections");
  if (SOAK) consoleError("fuzz figures", JSON.stringify({ ...figures, logged }));
});

describe(`fuzzing (seed ${SEED}; replay with FUZZ_SEED=${SEED})`, () => {
  it("the Engine.IO decoder answers a packet or a SyntaxError", () => {
    fc.assert(
      fc.property(mutatedPacket, (text) => {
        for (const decode of [() => decodePacket(text), () => decodePayload(text)]) {
          try {
            decode();
          } catch (err) {
            if (!(err instanceof SyntaxError)) throw err;
          }
        }
      }),
      params(RUNS.decoder),
    );
    figures.engineDecoder = RUNS.decoder;
  });

  it("the Socket.IO decoder answers a packet, waits, or throws a ParseError", () => {
    const decoder = new Decoder();
    fc.assert(
      fc.property(mutatedPacket, fc.option(fc.uint8Array({ maxLength: 4 })), (text, bytes) => {
        try {
          decoder.add(text.startsWith("4") ? text.slice(1) : text);
          if (bytes) decoder.add(bytes);
        } catch (err) {
          if (!(err instanceof ParseError)) throw err;
        }
      }),
      params(RUNS.decoder),
    );
    figures.socketDecoder = RUNS.decoder;
  });

  it("whatever the encoder makes, the decoder gives back", () => {
    fc.assert(
      fc.property(fc.array(payload, { maxLength: 4 }), fc.option(fc.nat()), (args, id) => {
        const packet = {
          type: PacketType.EVENT,
          nsp: "/",
          data: ["ev", ...args],
          ...(id === null ? {} : { id }),
        };
        const decoder = new Decoder();
        let decoded;
        for (const part of encodePacket(packet)) decoded = decoder.add(part);
        assert.deepEqual(_plain(decoded?.data), _plain(packet.data), "data");
        assert.equal(decoded?.id, packet.id);
      }),
      { ...params(RUNS.roundTrip), examples: [] },
    );
  });

  it("a whole server closes every bad connection with an official reason, and serves on", async () => {
    const io = _server();
    const reasons = new Map<string, number>();
    let session = await _open(io);
    let sent = 0;
    await fc.assert(
      fc.asyncProperty(mutatedPacket, async (text) => {
        session.events.onMessage(text);
        sent++;
        if (sent % 64 === 0) await null; // let handlers and acks run
        if (session.closed.reason !== undefined) {
          const reason = session.closed.reason;
          assert.ok(OFFICIAL_REASONS.has(reason), `unofficial close reason "${reason}"`);
          reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
          session = await _open(io);
        }
      }),
      params(RUNS.server),
    );
    // a fresh client is still served
    const fresh = await _open(io);
    fresh.events.onMessage('421["echo","alive"]');
    await new Promise((r) => setTimeout(r, 5));
    assert.ok(fresh.ws.sent.includes('431["alive"]'), "the server no longer answers");
    figures.serverPackets = sent;
    for (const [reason, n] of reasons) figures[`closed: ${reason}`] = n;
    await io.close();
  });

  it("the fetch handler answers every malformed request, never a stack trace", async () => {
    const io = _server();
    const live = await _open(io, "polling");
    const statuses = new Map<number, number>();
    let pending: Promise<unknown>[] = [];
    await fc.assert(
      fc.asyncProperty(fuzzRequest, async (spec) => {
        const req = _request(spec, live.sid);
        if (!req) return;
        const answer = io.handle(req, _ctx(_events())).then(async (res) => {
          const body = await res.text();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          // like the official engine, a method other than GET or POST on a session gets a bare 500
          if (res.status === 500) {
            assert.ok(!["GET", "POST"].includes(req.method), `500 for ${req.method} ${req.url}`);
            assert.equal(body, "");
          }
          assert.ok(!/\n\s+at /.test(body), `a stack trace in the answer to ${req.url}`);
        });
        // parked GETs are answered at the next ping or at close: do not wait for them
        pending.push(answer);
        if (pending.length >= 64) {
          await Promise.race([Promise.all(pending), new Promise((r) => setTimeout(r, 50))]);
          pending = [];
        }
      }),
      params(RUNS.requests),
    );
    await io.close();
    await Promise.all(pending);
    const fresh = await _open(_server());
    assert.ok(fresh.sid.length > 0);
    figures.requests = RUNS.requests;
    for (const [status, n] of statuses) figures[`status ${status}`] = n;
  });
});

function _plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, _bytes));
}

function _bytes(_key: string, value: unknown): unknown {
  // binary comes back as Uint8Array; compare it as a plain array of numbers
  return value instanceof Uint8Array ? { bytes: [...value] } : value;
}

function _server(): Server {
  const io = new Server({ serveClient: false, pingInterval: 60_000, pingTimeout: 60_000 });
  io.on("connection", (socket) => {
    socket.on("echo", (...args: unknown[]) => {
      const ack = args.pop();
      if (typeof ack === "function") (ack as (...a: unknown[]) => void)(...args);
    });
    socket.on("bcast", (...args: unknown[]) => io.emit("bcast", ...args));
    socket.on("throw", () => {
      throw new Error("handler failure");
    });
  });
  return io;
}

let _last: WebSocketEvents | undefined;

function _events(): { get(): WebSocketEvents | undefined } {
  return { get: () => _last };
}

function _ctx(_: unknown): RequestContext {
  return {
    upgrade: (_req, events) => {
      _last = events;
      return new Response(null, { status: 200 });
    },
    remoteAddress: "127.0.0.1",
  };
}

interface _Session {
  sid: string;
  ws: FakeWebSocket;
  events: WebSocketEvents;
  closed: { reason: string | undefined };
}

async function _open(io: Server, transport = "websocket"): Promise<_Session> {
  const headers: Record<string, string> = transport === "websocket"
    ? { upgrade: "websocket", connection: "Upgrade" }
    : {};
  const closed: { reason: string | undefined } = { reason: undefined };
  let sid = "";
  const grab = (conn: { id: string; on(e: "close", f: (r: string) => void): void }) => {
    sid = conn.id;
    conn.on("close", (r) => (closed.reason = r));
  };
  io.engine.on("connection", grab);
  const res = await io.handle(
    new Request(`http://localhost/socket.io/?EIO=4&transport=${transport}`, { headers }),
    _ctx(undefined),
  );
  io.engine.off("connection", grab);
  await res.arrayBuffer();
  const ws = new FakeWebSocket();
  const events = _last!;
  if (transport === "websocket") {
    events.onOpen(ws);
    events.onMessage("40");
    for (let i = 0; i < 20; i++) await null; // the namespace connects (middlewares run)
  }
  return { sid, ws, events, closed };
}

function _request(spec: FuzzRequest, sid: string): Request | undefined {
  const query = new URLSearchParams(spec.query);
  if (spec.liveSid) query.set("sid", sid);
  let url: URL;
  try {
    url = new URL(`http://localhost${spec.path.startsWith("/") ? "" : "/"}${spec.path}`);
  } catch {
    return undefined;
  }
  url.search = query.toString();
  const headers = new Headers();
  for (const [name, value] of spec.headers) headers.set(name, value);
  const hasBody = spec.body !== undefined && spec.method !== "GET" && spec.method !== "HEAD";
  try {
    return new Request(url, {
      method: spec.method,
      headers,
      body: hasBody ? spec.body! : null,
    });
  } catch {
    return undefined; // a request no client could send (e.g. a bad header value)
  }
}
