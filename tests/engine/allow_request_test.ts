import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { AllowRequest } from "../../src/engine/options.ts";
import {
  engineUrl,
  finish,
  handshake,
  pollingRequest,
  refused,
  setup,
  upgradeRefused,
  wsRequest,
} from "./_helpers.ts";

const handshakeReq = () => new Request(engineUrl({ EIO: "4", transport: "polling" }));

describe("allowRequest (code 4)", () => {
  const forbidden = async (allowRequest: AllowRequest, message = "Forbidden") => {
    const h = setup({ allowRequest });
    const ctx = await refused(h, handshakeReq(), {
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
