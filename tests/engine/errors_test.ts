import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  engineUrl,
  finish,
  handshake,
  pollingRequest,
  refused,
  settle,
  setup,
  upgradeRefused,
  wsRequest,
} from "./_helpers.ts";

const handshakeReq = (query: Record<string, string | undefined>, init?: RequestInit) =>
  new Request(engineUrl(query), init);

describe("errors 0-5", () => {
  it("a request without transport answers 400 code 0", async () => {
    const h = setup();
    const ctx = await refused(h, handshakeReq({ EIO: "4" }), {
      code: 0,
      message: "Transport unknown",
    });
    assert.deepEqual(ctx, { transport: undefined });
    assert.equal(h.errors[0]!.message, "Transport unknown");
    finish(h);
  });

  it("an unknown transport answers 400 code 0", async () => {
    const h = setup();
    const ctx = await refused(h, handshakeReq({ EIO: "4", transport: "flashsocket" }), {
      code: 0,
      message: "Transport unknown",
    });
    assert.deepEqual(ctx, { transport: "flashsocket" });
    finish(h);
  });

  it("a transport left out of the transports option answers 400 code 0", async () => {
    const h = setup({ transports: ["websocket"] });
    await refused(h, handshakeReq({ EIO: "4", transport: "polling" }), {
      code: 0,
      message: "Transport unknown",
    });
    finish(h);
  });

  it("polling GET with an unknown sid answers 400 code 1", async () => {
    const h = setup();
    const ctx = await refused(h, pollingRequest("nope"), {
      code: 1,
      message: "Session ID unknown",
    });
    assert.deepEqual(ctx, { sid: "nope" });
    finish(h);
  });

  it("polling POST with an unknown sid answers 400 code 1", async () => {
    const h = setup();
    const req = pollingRequest("nope", { method: "POST", body: "4x" });
    await refused(h, req, { code: 1, message: "Session ID unknown" });
    finish(h);
  });

  it('an upgrade with an unknown sid answers a plain 400 "Session ID unknown"', async () => {
    const h = setup();
    await upgradeRefused(h, wsRequest("nope"), "Session ID unknown", 1);
    finish(h);
  });

  for (const method of ["POST", "PUT", "DELETE"]) {
    it(`a ${method} handshake answers 400 code 2`, async () => {
      const h = setup();
      const init: RequestInit = method === "DELETE" ? { method } : { method, body: "x" };
      const ctx = await refused(h, handshakeReq({ EIO: "4", transport: "polling" }, init), {
        code: 2,
        message: "Bad handshake method",
      });
      assert.deepEqual(ctx, { method });
      finish(h);
    });
  }

  it("a polling request to a WebSocket session answers 400 code 3 (transport mismatch)", async () => {
    const h = setup();
    await h.engine.handle(wsRequest(), h.upgrader.ctx);
    h.upgrader.open();
    const sid = h.engine.clients().next().value!.id;
    const ctx = await refused(h, pollingRequest(sid), { code: 3, message: "Bad request" });
    assert.deepEqual(ctx, {
      name: "TRANSPORT_MISMATCH",
      transport: "polling",
      previousTransport: "websocket",
    });
    finish(h);
  });

  it("a websocket request to a polling session without Upgrade answers 400 code 3", async () => {
    const h = setup();
    const { sid } = await handshake(h);
    const req = handshakeReq({ EIO: "4", transport: "websocket", sid });
    const ctx = await refused(h, req, { code: 3, message: "Bad request" });
    assert.equal(ctx.name, "TRANSPORT_MISMATCH");
    finish(h);
  });

  it("a websocket handshake without the Upgrade header answers 400 code 3", async () => {
    const h = setup();
    const ctx = await refused(h, handshakeReq({ EIO: "4", transport: "websocket" }), {
      code: 3,
      message: "Bad request",
    });
    assert.equal(ctx.name, "TRANSPORT_HANDSHAKE_ERROR");
    assert.equal(h.upgrader.calls.length, 0);
    finish(h);
  });

  it("a WebSocket upgrade request for the polling transport answers a plain 400", async () => {
    const h = setup();
    const { sid } = await handshake(h);
    const req = new Request(engineUrl({ EIO: "4", transport: "polling", sid }), {
      headers: { upgrade: "websocket", connection: "Upgrade" },
    });
    await upgradeRefused(h, req, "Bad request", 3);
    const fresh = new Request(engineUrl({ EIO: "4", transport: "polling" }), {
      headers: { upgrade: "websocket", connection: "Upgrade" },
    });
    await upgradeRefused(h, fresh, "Bad request", 3);
    assert.equal(h.engine.clientsCount, 1, "no session opened by the upgrade request");
    finish(h);
  });

  it("an Origin header with a control character answers 400 code 3", async () => {
    const h = setup();
    const req = handshakeReq({ EIO: "4", transport: "polling" }, {
      headers: { origin: "https://a\x01b" },
    });
    const ctx = await refused(h, req, { code: 3, message: "Bad request" });
    assert.deepEqual(ctx, { name: "INVALID_ORIGIN", origin: "https://a\x01b" });
    assert.equal(h.engine.clientsCount, 0);
    finish(h);
  });

  for (const [name, query] of [["missing EIO", undefined], ["EIO=3", "3"]] as const) {
    it(`a handshake with ${name} answers 400 code 5`, async () => {
      const h = setup();
      const ctx = await refused(h, handshakeReq({ EIO: query, transport: "polling" }), {
        code: 5,
        message: "Unsupported protocol version",
      });
      assert.deepEqual(ctx, { protocol: 3 });
      assert.equal(h.engine.clientsCount, 0);
      finish(h);
    });
  }

  it("a WebSocket handshake with EIO=3 answers a plain 400", async () => {
    const h = setup();
    const req = new Request(engineUrl({ EIO: "3", transport: "websocket" }), {
      headers: { upgrade: "websocket" },
    });
    await upgradeRefused(h, req, "Unsupported protocol version", 5);
    finish(h);
  });
});

describe("robustness", () => {
  it("handle() never rejects for garbage input", async () => {
    const h = setup({ maxHttpBufferSize: 64 });
    const { sid } = await handshake(h);
    const urls = [
      "/engine.io/",
      "/engine.io/?EIO=4&transport=polling&sid=%00",
      "/engine.io/?EIO=4&transport=polling&sid=" + sid + "&sid=x",
      "/engine.io/?EIO=%FF&transport=%E0%A4%A",
      "/engine.io/?EIO=4&transport=polling&transport=websocket",
      "/engine.io/?EIO=4&transport=__proto__&sid=constructor",
      "/engine.io/?EIO=4&transport=polling&sid=" + sid,
      "/engine.io/?EIO=4&transport=websocket&sid=" + sid,
      "/engine.io/" + "a".repeat(2000) + "?EIO=4&transport=polling",
    ];
    const methods = ["GET", "POST", "PUT", "OPTIONS", "DELETE", "PATCH"];
    const bodies = ["", "\x1e", "4\x1e\x1e", "b!!", "1", "5", "x".repeat(100), "\u{10FFFF}"];
    let n = 0;
    for (const url of urls) {
      for (const method of methods) {
        for (const body of method === "GET" || method === "OPTIONS" ? [undefined] : bodies) {
          for (const upgrade of [false, true]) {
            const headers: Record<string, string> = upgrade ? { upgrade: "websocket" } : {};
            const init: RequestInit = body === undefined
              ? { method, headers }
              : { method, headers, body };
            const pending = h.engine.handle(
              new Request(new URL(url, "http://x").href, init),
              h.upgrader.ctx,
            );
            // a GET may be parked; answer it by sending something
            for (const s of h.engine.clients()) s.send("x");
            const res = await pending;
            assert.ok(res instanceof Response);
            assert.ok(res.status >= 200 && res.status < 600);
            // only an unknown method on a live session earns the official bare 500
            if (res.status === 500) {
              assert.ok(!["GET", "POST"].includes(method), `${method} ${url}`);
            }
            await res.body?.cancel();
            n++;
          }
        }
      }
    }
    assert.ok(n > 100);
    await settle();
    finish(h);
  });
});
