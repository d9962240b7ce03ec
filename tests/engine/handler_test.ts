import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { EngineSocket } from "../../src/engine/socket.ts";
import { engineUrl, finish, setup, wsRequest } from "./_helpers.ts";

const handshakeUrl = engineUrl({ EIO: "4", transport: "polling" });

describe("handler()", () => {
  it("passes an explicit RequestContext through", async () => {
    const h = setup();
    const sockets: EngineSocket[] = [];
    h.engine.on("connection", (s) => sockets.push(s));
    const res = await h.engine.handler()(wsRequest(), h.upgrader.ctx);
    assert.equal(res, h.upgrader.calls[0]?.response);
    assert.equal(sockets[0]?.remoteAddress, "127.0.0.1");
    finish(h);
  });

  it("reads Deno's serve info for the remote address", async () => {
    const h = setup();
    const sockets: EngineSocket[] = [];
    h.engine.on("connection", (s) => sockets.push(s));
    const info = { remoteAddr: { transport: "tcp", hostname: "10.0.0.7", port: 5555 } };
    const res = await h.engine.handler()(new Request(handshakeUrl), info);
    assert.equal(res.status, 200);
    assert.equal(sockets[0]?.remoteAddress, "10.0.0.7");
    finish(h);
  });

  it("does not mistake Bun's server for an upgrader (its upgrade() answers a boolean)", async () => {
    const h = setup();
    const sockets: EngineSocket[] = [];
    h.engine.on("connection", (s) => sockets.push(s));
    let upgrades = 0;
    const bunServer = {
      upgrade: () => (upgrades++, true),
      requestIP: () => ({ address: "192.0.2.1", family: "IPv4", port: 1 }),
      publish: () => 0,
    };
    const polling = await h.engine.handler()(new Request(handshakeUrl), bunServer);
    assert.equal(polling.status, 200);
    assert.equal(sockets[0]?.remoteAddress, "192.0.2.1");
    const ws = await h.engine.handler()(wsRequest(), bunServer);
    assert.ok(ws instanceof Response);
    assert.equal(ws.status, 400);
    assert.equal(upgrades, 0);
    finish(h);
  });
});
