import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { AllowRequest } from "../../src/engine/options.ts";
import {
  engineUrl,
  errorBody,
  finish,
  handshake,
  type Harness,
  pollingRequest,
  settle,
  setup,
  wsRequest,
} from "./_helpers.ts";

/** Sends `req` and checks the JSON refusal and the `connection_error` event. */
async function refused(
  h: Harness,
  req: Request,
  expected: { status?: number; code: number; message: string },
): Promise<Record<string, unknown>> {
  const res = await h.engine.handle(req, h.upgrader.ctx);
  assert.equal(res.status, expected.status ?? 400);
  assert.deepEqual(await errorBody(res), { code: expected.code, message: expected.message });
  const event = h.errors.at(-1);
  assert.ok(event, "no connection_error");
  assert.equal(event.req, req);
  assert.equal(event.code, expected.code);
  return event.context;
}

/** Sends an upgrade `req` and checks the plain 400 refusal. */
async function upgradeRefused(h: Harness, req: Request, message: string, code: number) {
  const res = await h.engine.handle(req, h.upgrader.ctx);
  assert.equal(res.status, 400);
  assert.equal(await res.text(), message);
  assert.equal(h.upgrader.calls.length, 0, "the upgrader must not run");
  assert.equal(h.errors.at(-1)?.code, code);
  return h.errors.at(-1)!.context;
}

const handshakeReq = (query: Record<string, string | undefined>, init?: RequestInit) =>
  new Request(engineUrl(query), init);

describe("errors 0-5", () => {
  it("a request without transport answers 400 code 0", async () => {
    const h = setup();
    const ctx = await refused(h, handshakeReq({ EIO: "4" }), { code: 0, message: "Transport unknown" });
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
    const ctx = await refused(h, pollingRequest("nope"), { code: 1, message: "Session ID unknown" });
    assert.deepEqual(ctx, { sid: "nope" });
    finish(h);
  });

  it("polling POST with an unknown sid answers 400 code 1", async () => {
    const h = setup();
    const req = pollingRequest("nope", { method: "POST", body: "4x" });
    await refused(h, req, { code: 1, message: "Session ID unknown" });
    finish(h);
  });

  it("an upgrade with an unknown sid answers a plain 400 \"Session ID unknown\"", async () => {
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

describe("allowRequest (code 4)", () => {
  const forbidden = async (allowRequest: AllowRequest, message = "Forbidden") => {
    const h = setup({ allowRequest });
    const ctx = await refused(h, handshakeReq({ EIO: "4", transport: "polling" }), {
      status: 403,
      code: 4,
      message,
    });
    assert.equal(h.engine.clientsCount, 0);
    finish(h);
    return ctx;
  };

  it("refuses with 403 code 4 when the callback answers false", async () => {
    await forbidden((_req, cb) => cb(null, false));
  });

  it("answers the callback's message as the refusal's message", async () => {
    const ctx = await forbidden((_req, cb) => cb("no token", false), "no token");
    assert.deepEqual(ctx, { message: "no token" });
  });

  it("answers the default message for an empty callback message", async () => {
    await forbidden((_req, cb) => cb("", false));
  });

  it("refuses when a returned promise resolves false", async () => {
    await forbidden(() => Promise.resolve(false));
  });

  it("refuses when an async callback answers false later", async () => {
    await forbidden((_req, cb) => void Promise.resolve().then(() => cb("later", false)), "later");
  });

  it("refuses with the default message when the check throws (its text is not leaked)", async () => {
    await forbidden(() => {
      throw new Error("db password is hunter2");
    });
  });

  it("refuses with the default message when a returned promise rejects", async () => {
    await forbidden(() => Promise.reject(new Error("internal detail")));
  });

  for (
    const [name, allow] of [
      ["the callback answers true", (_r, cb) => cb(null, true)],
      ["it returns true", () => true],
      ["a returned promise resolves true", () => Promise.resolve(true)],
    ] as [string, AllowRequest][]
  ) {
    it(`accepts the handshake when ${name}`, async () => {
      const seen: Request[] = [];
      const h = setup({ allowRequest: (req, cb) => (seen.push(req), allow(req, cb)) });
      await handshake(h);
      assert.equal(seen.length, 1);
      finish(h);
    });
  }

  it("is not asked for requests of an open session", async () => {
    let asked = 0;
    const h = setup({ allowRequest: () => (asked++, true) });
    const { sid } = await handshake(h);
    const res = await h.engine.handle(pollingRequest(sid, { method: "POST", body: "4x" }));
    assert.equal(await res.text(), "ok");
    assert.equal(asked, 1);
    finish(h);
  });

  it("refuses a WebSocket handshake with a plain 400 and the message", async () => {
    const h = setup({ allowRequest: (_req, cb) => cb("go away", false) });
    await upgradeRefused(h, wsRequest(), "go away", 4);
    finish(h);
  });
});

describe("path", () => {
  it("answers 404 outside the engine path", async () => {
    const h = setup();
    for (const path of ["/", "/socket.io/", "/engine.io", "/engine.iox/"]) {
      const res = await h.engine.handle(
        new Request(engineUrl({ EIO: "4", transport: "polling" }, path)),
      );
      assert.equal(res.status, 404, path);
      await res.body?.cancel();
    }
    assert.equal(h.errors.length, 0);
    assert.equal(h.engine.clientsCount, 0);
    finish(h);
  });

  it("serves under a custom path, with the trailing slash added", async () => {
    const h = setup({ path: "/custom" });
    assert.equal(h.engine.opts.path, "/custom/");
    const ok = await h.engine.handle(new Request(engineUrl({ EIO: "4", transport: "polling" }, "/custom/")));
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    const other = await h.engine.handle(new Request(engineUrl({ EIO: "4", transport: "polling" })));
    assert.equal(other.status, 404);
    finish(h);
  });

  it("serves the bare path when addTrailingSlash is false", async () => {
    const h = setup({ addTrailingSlash: false });
    assert.equal(h.engine.opts.path, "/engine.io");
    const res = await h.engine.handle(new Request(engineUrl({ EIO: "4", transport: "polling" }, "/engine.io")));
    assert.equal(res.status, 200);
    await res.body?.cancel();
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
            const init: RequestInit = body === undefined ? { method, headers } : { method, headers, body };
            const pending = h.engine.handle(new Request(new URL(url, "http://x").href, init), h.upgrader.ctx);
            // a GET may be parked; answer it by sending something
            for (const s of h.engine.clients()) s.send("x");
            const res = await pending;
            assert.ok(res instanceof Response);
            assert.ok(res.status >= 200 && res.status < 600);
            // only an unknown method on a live session earns the official bare 500
            if (res.status === 500) assert.ok(!["GET", "POST"].includes(method), `${method} ${url}`);
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
