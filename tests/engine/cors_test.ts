import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { CorsOptions } from "../../src/engine/cors.ts";
import { engineUrl, errorBody, finish, setup } from "./_helpers.ts";

const HANDSHAKE = engineUrl({ EIO: "4", transport: "polling" });

async function handshakeWith(cors: CorsOptions | undefined, origin?: string) {
  const h = setup(cors === undefined ? {} : { cors });
  const headers: Record<string, string> = origin === undefined ? {} : { origin };
  const res = await h.engine.handle(new Request(HANDSHAKE, { headers }));
  await res.body?.cancel();
  finish(h);
  return { res, h };
}

function preflight(cors: CorsOptions, headers: Record<string, string> = {}) {
  const h = setup({ cors });
  const req = new Request(HANDSHAKE, {
    method: "OPTIONS",
    headers: { origin: "https://app.example", ...headers },
  });
  return { h, res: h.engine.handle(req) };
}

describe("cors", () => {
  it("sends no CORS headers without the cors option", async () => {
    const { res } = await handshakeWith(undefined, "https://app.example");
    assert.equal(res.headers.get("access-control-allow-origin"), null);
  });

  it('allows every origin with origin "*" (the default)', async () => {
    const { res } = await handshakeWith({}, "https://app.example");
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.equal(res.headers.get("vary"), null);
  });

  it("answers a fixed string origin whatever the request's origin", async () => {
    const { res } = await handshakeWith({ origin: "https://a.example" }, "https://b.example");
    assert.equal(res.headers.get("access-control-allow-origin"), "https://a.example");
    assert.equal(res.headers.get("vary"), "Origin");
  });

  it("reflects an origin found in an array and omits one that is not", async () => {
    const origin = ["https://a.example", /\.b\.example$/];
    const ok = await handshakeWith({ origin }, "https://x.b.example");
    assert.equal(ok.res.headers.get("access-control-allow-origin"), "https://x.b.example");
    const no = await handshakeWith({ origin }, "https://evil.example");
    assert.equal(no.res.headers.get("access-control-allow-origin"), null);
    assert.equal(no.res.headers.get("vary"), "Origin");
    assert.equal(no.res.status, 200, "CORS only withholds headers; the request is served");
  });

  it("reflects an origin matching a RegExp", async () => {
    const { res } = await handshakeWith({ origin: /^https:\/\/app\./ }, "https://app.example");
    assert.equal(res.headers.get("access-control-allow-origin"), "https://app.example");
  });

  it("reflects any origin with origin true", async () => {
    const { res } = await handshakeWith({ origin: true }, "https://z.example");
    assert.equal(res.headers.get("access-control-allow-origin"), "https://z.example");
  });

  it("asks an origin function and reflects the origin it allows", async () => {
    const asked: (string | undefined)[] = [];
    const origin: CorsOptions["origin"] = (o, cb) => {
      asked.push(o);
      cb(null, o === "https://ok.example");
    };
    const ok = await handshakeWith({ origin }, "https://ok.example");
    assert.equal(ok.res.headers.get("access-control-allow-origin"), "https://ok.example");
    const no = await handshakeWith({ origin }, "https://no.example");
    assert.equal(no.res.headers.get("access-control-allow-origin"), null);
    assert.deepEqual(asked, ["https://ok.example", "https://no.example"]);
  });

  it("sends no CORS headers at all when the origin function answers false", async () => {
    const { res } = await handshakeWith(
      { origin: (_o, cb) => cb(null, false) },
      "https://x.example",
    );
    assert.equal(res.headers.get("access-control-allow-origin"), null);
    assert.equal(res.headers.get("vary"), null);
    assert.equal(res.status, 200);
  });

  for (
    const [name, origin] of [
      ["calls back with an error", (_o, cb) => cb(new Error("nope"))],
      ["throws", () => {
        throw new Error("nope");
      }],
    ] as [string, NonNullable<CorsOptions["origin"]>][]
  ) {
    it(`refuses with 400 code 3 when the origin function ${name}`, async () => {
      const h = setup({ cors: { origin } });
      const res = await h.engine.handle(
        new Request(HANDSHAKE, { headers: { origin: "https://x" } }),
      );
      assert.equal(res.status, 400);
      assert.deepEqual(await errorBody(res), { code: 3, message: "Bad request" });
      assert.equal(h.errors[0]?.context.name, "MIDDLEWARE_FAILURE");
      assert.equal(h.engine.clientsCount, 0);
      finish(h);
    });
  }

  it("sends Access-Control-Allow-Credentials with credentials", async () => {
    const { res } = await handshakeWith({ origin: true, credentials: true }, "https://a.example");
    assert.equal(res.headers.get("access-control-allow-credentials"), "true");
    const without = await handshakeWith({ origin: true }, "https://a.example");
    assert.equal(without.res.headers.get("access-control-allow-credentials"), null);
  });

  it("exposes the configured response headers", async () => {
    const { res } = await handshakeWith({ exposedHeaders: ["x-a", "x-b"] }, "https://a.example");
    assert.equal(res.headers.get("access-control-expose-headers"), "x-a,x-b");
  });

  it("puts CORS headers on error answers too", async () => {
    const h = setup({ cors: { origin: true } });
    const req = new Request(engineUrl({ EIO: "4", transport: "nope" }), {
      headers: { origin: "https://a.example" },
    });
    const res = await h.engine.handle(req);
    assert.equal(res.status, 400);
    assert.equal(res.headers.get("access-control-allow-origin"), "https://a.example");
    await res.body?.cancel();
    finish(h);
  });

  it("answers a preflight with 204, the default methods and the requested headers", async () => {
    const { h, res: pending } = preflight({ origin: true }, {
      "access-control-request-method": "POST",
      "access-control-request-headers": "x-token,content-type",
    });
    const res = await pending;
    assert.equal(res.status, 204);
    assert.equal(res.headers.get("content-length"), "0");
    assert.equal(res.headers.get("access-control-allow-origin"), "https://app.example");
    assert.equal(res.headers.get("access-control-allow-methods"), "GET,HEAD,PUT,PATCH,POST,DELETE");
    assert.equal(res.headers.get("access-control-allow-headers"), "x-token,content-type");
    assert.equal(res.headers.get("vary"), "Origin, Access-Control-Request-Headers");
    assert.equal(await res.text(), "");
    assert.equal(h.engine.clientsCount, 0, "a preflight opens no session");
    assert.equal(h.errors.length, 0);
    finish(h);
  });

  it("answers a preflight with the configured methods, headers, max age and status", async () => {
    const { h, res: pending } = preflight({
      origin: "*",
      methods: ["GET", "POST"],
      allowedHeaders: ["x-a", "x-b"],
      maxAge: 600,
      credentials: true,
      optionsSuccessStatus: 200,
    }, { "access-control-request-headers": "x-other" });
    const res = await pending;
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("access-control-allow-origin"), "*");
    assert.equal(res.headers.get("access-control-allow-methods"), "GET,POST");
    assert.equal(res.headers.get("access-control-allow-headers"), "x-a,x-b");
    assert.equal(res.headers.get("access-control-max-age"), "600");
    assert.equal(res.headers.get("access-control-allow-credentials"), "true");
    finish(h);
  });

  it("reflects the requested headers when allowedHeaders is an empty string, as cors does", async () => {
    const { h, res: pending } = preflight({ allowedHeaders: "" }, {
      "access-control-request-headers": "x-token",
    });
    assert.equal((await pending).headers.get("access-control-allow-headers"), "x-token");
    finish(h);
  });

  it("passes an OPTIONS request on when the origin function refuses (then code 2)", async () => {
    const { h, res: pending } = preflight({ origin: (_o, cb) => cb(null, false) });
    const res = await pending;
    assert.equal(res.status, 400);
    assert.deepEqual(await errorBody(res), { code: 2, message: "Bad handshake method" });
    finish(h);
  });
});
