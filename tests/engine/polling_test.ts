import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  closes,
  engineUrl,
  errorBody,
  finish,
  handshake,
  type Harness,
  poll,
  pollingRequest,
  post,
  settle,
  setup,
} from "./_helpers.ts";
import { MemorySessionStore } from "../../src/store/session_store.ts";
import type { EngineSocket } from "../../src/engine/socket.ts";
import { hostBytes } from "../_support/host_bytes.ts";

const encoder = new TextEncoder();

/** A request body that yields `chunk` forever and counts how often it is pulled. */
function endlessBody(chunk: Uint8Array) {
  const state = { pulls: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      state.pulls++;
      controller.enqueue(chunk);
    },
    cancel() {
      state.cancelled = true;
    },
  }, { highWaterMark: 0 });
  return { stream, state };
}

/** A streamed POST (Node's fetch needs `duplex` for stream bodies). */
function streamedPost(
  h: Harness,
  sid: string,
  body: ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const init = { method: "POST", body, headers, duplex: "half" } as RequestInit;
  return h.engine.handle(pollingRequest(sid, init));
}

function messages(h: Harness, sid: string): (string | Uint8Array)[] {
  const seen: (string | Uint8Array)[] = [];
  for (const s of h.engine.clients()) if (s.id === sid) s.on("message", (m) => seen.push(m));
  return seen;
}

describe("long-polling", () => {
  it("parks a GET until a packet is queued, then answers it", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const get = poll(h, sid);
    await settle();
    assert.equal(get.settled, false, "the GET must wait for data");
    socket.send("hello");
    const res = await get.promise;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/plain; charset=UTF-8");
    assert.equal(await res.text(), "4hello");
    finish(h);
  });

  it("answers several queued packets in one payload, binary as b + base64", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    socket.send("a");
    socket.send(new Uint8Array([1, 2, 3]));
    socket.send(new Uint8Array([255]).buffer);
    socket.send("é😀");
    assert.equal(await poll(h, sid).text(), "4a\x1ebAQID\x1eb/w==\x1e4é😀");
    finish(h);
  });

  it("delivers a POST payload as message events in order and answers ok as text/html", async () => {
    const h = setup();
    const { sid } = await handshake(h);
    const seen = messages(h, sid);
    const res = await post(h, sid, "4a\x1e4b\x1ebAQI=\x1e4é😀\x1e4");
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html");
    assert.equal(await res.text(), "ok");
    assert.deepEqual(seen, ["a", "b", hostBytes([1, 2]), "é😀", ""]);
    finish(h);
  });

  it("decodes UTF-8 split across body chunks", async () => {
    const h = setup();
    const { sid } = await handshake(h);
    const seen = messages(h, sid);
    const bytes = encoder.encode("4é😀");
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.subarray(0, 2));
        c.enqueue(bytes.subarray(2, 5));
        c.enqueue(bytes.subarray(5));
        c.close();
      },
    });
    assert.equal(await (await streamedPost(h, sid, body)).text(), "ok");
    assert.deepEqual(seen, ["é😀"]);
    finish(h);
  });

  it("a second GET while one is parked answers 400 and closes the session with transport error", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    const first = poll(h, sid);
    const second = await poll(h, sid).promise;
    assert.equal(second.status, 400);
    assert.deepEqual(reasons.map(([r]) => r), ["transport error"]);
    assert.equal((reasons[0]![1] as Error).message, "overlap from client");
    assert.equal(await first.text(), "1", "the parked GET is closed with a close packet");
    assert.equal(h.engine.clientsCount, 0);
    finish(h);
  });

  it("an overlapping POST answers 400 and closes the session with transport error", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    const seen = messages(h, sid);
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const slow = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    const first = streamedPost(h, sid, slow);
    controller.enqueue(encoder.encode("4late"));
    await settle();
    const second = await post(h, sid, "4b");
    assert.equal(second.status, 400);
    assert.deepEqual(reasons.map(([r]) => r), ["transport error"]);
    // the session ended: its body read is cancelled at once (issue 15), the stream with it
    assert.equal((await first).status, 400);
    assert.throws(() => controller.close(), TypeError);
    assert.deepEqual(seen, [], "nothing is delivered to a closed session");
    finish(h);
  });

  it("an oversize streamed POST answers 413 without reading past the limit", async () => {
    const h = setup({ maxHttpBufferSize: 100 });
    const { sid } = await handshake(h);
    const { stream, state } = endlessBody(encoder.encode("4" + "x".repeat(59)));
    const res = await streamedPost(h, sid, stream);
    assert.equal(res.status, 413);
    assert.ok(state.pulls <= 3, `pulled ${state.pulls} chunks`);
    assert.equal(state.cancelled, true);
    // like the official server, the session survives a refused POST
    assert.equal(h.engine.clientsCount, 1);
    assert.equal(await (await post(h, sid, "4ok")).text(), "ok");
    finish(h);
  });

  it("a POST whose Content-Length is over the limit answers 413 without reading the body", async () => {
    const h = setup({ maxHttpBufferSize: 100 });
    const { sid } = await handshake(h);
    const { stream, state } = endlessBody(encoder.encode("4x"));
    const res = await streamedPost(h, sid, stream, { "content-length": "101" });
    assert.equal(res.status, 413);
    assert.equal(state.pulls, 0);
    finish(h);
  });

  it("counts the limit in UTF-8 bytes, not characters", async () => {
    const h = setup({ maxHttpBufferSize: 10 });
    const { sid } = await handshake(h);
    const seen = messages(h, sid);
    assert.equal((await post(h, sid, "4" + "é".repeat(4))).status, 200); // 9 bytes
    assert.equal((await post(h, sid, "4" + "é".repeat(5))).status, 413); // 11 bytes
    assert.deepEqual(seen, ["éééé"]);
    finish(h);
  });

  it("a malformed payload closes the session with parse error after the packets before it", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    const seen = messages(h, sid);
    const res = await post(h, sid, "4a\x1e9bad\x1e4c");
    assert.equal(await res.text(), "ok");
    assert.deepEqual(seen, ["a"]);
    assert.deepEqual(reasons.map(([r]) => r), ["parse error"]);
    assert.equal(h.engine.clientsCount, 0);
    finish(h);
  });

  for (const payload of ["", "4a\x1e\x1e4b", "b!!!"]) {
    it(`the malformed payload ${JSON.stringify(payload)} closes the session with parse error`, async () => {
      const h = setup();
      const { sid, socket } = await handshake(h);
      const reasons = closes(socket);
      await post(h, sid, payload);
      assert.deepEqual(reasons.map(([r]) => r), ["parse error"]);
      finish(h);
    });
  }

  it("a binary POST body answers 400 and closes the session with transport error", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    const res = await post(h, sid, new Uint8Array([52, 97]), {
      "content-type": "application/octet-stream",
    });
    assert.equal(res.status, 400);
    assert.deepEqual(reasons.map(([r]) => r), ["transport error"]);
    assert.equal((reasons[0]![1] as Error).message, "invalid content");
    finish(h);
  });

  it("a PUT with a sid answers a bare 500", async () => {
    const h = setup();
    const { sid } = await handshake(h);
    const res = await h.engine.handle(pollingRequest(sid, { method: "PUT", body: "4x" }));
    assert.equal(res.status, 500);
    assert.equal(await res.text(), "");
    assert.equal(h.engine.clientsCount, 1);
    finish(h);
  });

  it("a close packet from the client closes the session with transport close", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    const get = poll(h, sid);
    assert.equal(await (await post(h, sid, "1")).text(), "ok");
    assert.deepEqual(reasons.map(([r]) => r), ["transport close"]);
    assert.equal(await get.text(), "6", "the parked GET is released with a noop");
    assert.equal(h.engine.clientsCount, 0);
    const after = await h.engine.handle(pollingRequest(sid));
    assert.deepEqual(await errorBody(after), { code: 1, message: "Session ID unknown" });
    finish(h);
  });

  it("an aborted GET closes the session with transport error", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    const abort = new AbortController();
    const get = poll(h, sid, { signal: abort.signal });
    await settle();
    assert.equal(reasons.length, 0);
    abort.abort();
    await settle();
    assert.deepEqual(reasons.map(([r]) => r), ["transport error"]);
    assert.equal((reasons[0]![1] as Error).message, "poll connection closed prematurely");
    await get.promise;
    assert.equal(get.settled, true, "the aborted GET does not hang");
    finish(h);
  });

  it("a runtime's client-gone watch replaces the signal and is stopped once the GET is answered", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    const watches: { gone: () => void; stopped: boolean }[] = [];
    const ctx = {
      ...h.upgrader.ctx,
      watchClientGone: (_req: Request, gone: () => void) => {
        const watch = { gone, stopped: false };
        watches.push(watch);
        return () => void (watch.stopped = true);
      },
    };
    const abort = new AbortController();
    const answered = h.engine.handle(pollingRequest(sid, { signal: abort.signal }), ctx);
    await settle();
    assert.equal(watches.length, 1, "the held GET is watched");
    abort.abort(); // the signal is not listened to when the runtime watches
    await settle();
    assert.equal(reasons.length, 0);
    socket.send("x");
    assert.equal(await (await answered).text(), "4x");
    assert.equal(watches[0]!.stopped, true, "the watch ends with the answer");
    const held = h.engine.handle(pollingRequest(sid), ctx);
    await settle();
    assert.equal(watches.length, 2);
    watches[1]!.gone();
    await settle();
    assert.deepEqual(reasons.map(([r]) => r), ["transport error"]);
    assert.equal((reasons[0]![1] as Error).message, "poll connection closed prematurely");
    await held;
    finish(h);
  });

  it("a watch the runtime cannot set up falls back to the signal", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    const ctx = { ...h.upgrader.ctx, watchClientGone: () => undefined };
    const abort = new AbortController();
    const held = h.engine.handle(pollingRequest(sid, { signal: abort.signal }), ctx);
    await settle();
    abort.abort();
    await settle();
    assert.deepEqual(reasons.map(([r]) => r), ["transport error"]);
    await held;
    finish(h);
  });

  it("an answered GET whose signal aborts later does not close the session", async () => {
    const h = setup();
    const { sid, socket } = await handshake(h);
    const reasons = closes(socket);
    const abort = new AbortController();
    const get = poll(h, sid, { signal: abort.signal });
    socket.send("x");
    assert.equal(await get.text(), "4x");
    abort.abort();
    await settle();
    assert.equal(reasons.length, 0);
    finish(h);
  });
});

describe("the session store on the polling path", () => {
  it("a GET, a POST and an unknown sid each look the session up once", async () => {
    let gets = 0;
    class CountingStore extends MemorySessionStore<EngineSocket> {
      override get(sid: string): EngineSocket | undefined {
        gets++;
        return super.get(sid);
      }
    }
    const h = setup({ store: new CountingStore() });
    const { sid } = await handshake(h);
    gets = 0;
    assert.equal((await post(h, sid, "4hi")).status, 200);
    assert.equal(gets, 1, "POST");
    const parked = poll(h, sid);
    await settle();
    assert.equal(gets, 2, "GET");
    assert.equal((await post(h, "nope", "4hi")).status, 400);
    assert.equal(gets, 3, "unknown sid");
    h.engine.close();
    await parked.promise;
    finish(h);
  });
});

describe("JSONP polling (j=)", () => {
  /** A JSONP handshake: the session and the answer's body. */
  async function jsonpHandshake(h: Harness, query: Record<string, string>) {
    let socket: EngineSocket | undefined;
    h.engine.once("connection", (s: EngineSocket) => (socket = s));
    const res = await h.engine.handle(
      new Request(engineUrl(query)),
      h.upgrader.ctx,
    );
    const body = await res.text();
    assert.equal(res.status, 200, body);
    assert.ok(socket);
    return { socket, body, type: res.headers.get("content-type") };
  }
  const form = (
    h: Harness,
    sid: string,
    body: string,
    type = "application/x-www-form-urlencoded",
  ) => post(h, sid, body, { "content-type": type });

  it("wraps every answer in ___eio[<digits of j>](…); with U+2028/U+2029 escaped", async () => {
    const h = setup();
    const { socket, body, type } = await jsonpHandshake(h, {
      EIO: "4",
      transport: "polling",
      j: "a7b",
    });
    assert.equal(type, "text/plain; charset=UTF-8");
    const inner = /^___eio\[7\]\((.*)\);$/s.exec(body)?.[1];
    assert.ok(inner, body);
    assert.equal(JSON.parse(JSON.parse(inner)!.slice(1)).sid, socket.id);
    socket.send("x\u2028y\u2029");
    socket.send(new Uint8Array([1, 2, 3]));
    assert.equal(
      await poll(h, socket.id).text(),
      '___eio[7]("4x\\u2028y\\u2029\\u001ebAQID");',
    );
    finish(h);
  });

  it("reads POSTs as forms: d's payload with the newline escapes undone; no d or two: ok, ignored", async () => {
    const h = setup();
    const { socket } = await jsonpHandshake(h, { EIO: "4", transport: "polling", j: "0" });
    const seen = messages(h, socket.id);
    // "\\n" stands for a JSON "\n" (kept as backslash + n), "\n" for a newline
    const payload = "4a\\\\nb\x1e4c\\nd";
    const res = await form(h, socket.id, `d=${encodeURIComponent(payload)}`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "ok");
    assert.equal((await form(h, socket.id, "x=41")).status, 200);
    assert.equal((await form(h, socket.id, "d=4e&d=4f")).status, 200);
    // a form sent as octet-stream is still a form (no binary POST on JSONP)
    assert.equal((await form(h, socket.id, "d=4g", "application/octet-stream")).status, 200);
    assert.deepEqual(seen, ["a\\nb", "c\nd", "g"]);
    finish(h);
  });

  it("Engine.IO v3 without b64: binary still goes as base64 text (a script carries a string)", async () => {
    const h = setup({ allowEIO3: true });
    const { socket } = await jsonpHandshake(h, { EIO: "3", transport: "polling", j: "2" });
    socket.send(new Uint8Array([1, 2, 3]));
    assert.equal(await poll(h, socket.id, {}).text(), '___eio[2]("6:b4AQID");');
    finish(h);
  });
});
