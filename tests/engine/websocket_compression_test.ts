import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { finish, setup, wsRequest } from "./_helpers.ts";

async function open(options: Parameters<typeof setup>[0]) {
  const h = setup(options);
  await h.engine.handle(wsRequest(), h.upgrader.ctx);
  const ws = h.upgrader.open();
  const [socket] = [...h.engine.clients()];
  return { h, ws, socket: socket! };
}

describe("perMessageDeflate", () => {
  it("is off by default: the upgrader is not asked to negotiate, no frame may be compressed", async () => {
    const { h, ws, socket } = await open({});
    socket.send("x".repeat(2000));
    assert.equal(h.upgrader.calls[0]!.deflate, false);
    assert.deepEqual(ws.compressed, [false, false]);
    finish(h);
  });

  it("compresses from the threshold on, and never what is sent with compress: false", async () => {
    const { h, ws, socket } = await open({ perMessageDeflate: { threshold: 20 } });
    assert.equal(h.upgrader.calls[0]!.deflate, true);
    socket.send("short");
    socket.send("é".repeat(10)); // 10 characters, 20 UTF-8 bytes: at the threshold
    socket.send("x".repeat(50), { compress: false });
    socket.send(new Uint8Array(19));
    socket.send(new Uint8Array(20));
    // the open packet (over 20 bytes) first
    assert.deepEqual(ws.compressed, [true, false, true, false, false, true]);
    finish(h);
  });

  it("true means a threshold of 1024 bytes", async () => {
    const { h, ws, socket } = await open({ perMessageDeflate: true });
    socket.send("x".repeat(1022)); // 1023 bytes with the type digit
    socket.send("x".repeat(1023));
    assert.deepEqual(ws.compressed.slice(1), [false, true]);
    finish(h);
  });
});
