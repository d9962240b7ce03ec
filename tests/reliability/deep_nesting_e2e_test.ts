/**
 * Issue 15, finding 1, end to end on Deno, Bun and Node: the exact packets
 * of the issue (arrays 3,094 / 15,000 / 32,188 deep, objects, a broadcast,
 * the binary form) over WebSocket and in a polling POST close their own
 * connection, and the process goes on serving; a throwing handler costs
 * nothing but its event.
 */

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RUNTIMES, startServer, type TestServer } from "../_support/fixture.ts";
import {
  closedWithin,
  deepPackets,
  nestedArrays,
  pollConnect,
  serves,
  wsConnect,
} from "./_hostile.ts";

for (const runtime of RUNTIMES) {
  describe(`deep packets on ${runtime}`, () => {
    let server: TestServer;
    before(async () => {
      server = await startServer(runtime, "hostile");
    });
    after(() => server?.close());

    for (const { name, frames } of deepPackets()) {
      it(`${name} over WebSocket closes that connection only`, async () => {
        const bystander = await wsConnect(server.url);
        const ws = await wsConnect(server.url);
        for (const frame of frames) ws.socket.send(frame);
        assert.notEqual(await closedWithin(ws, 5_000), undefined, "the connection stays open");
        assert.equal(await serves(server.url), true, "the server no longer serves");
        bystander.socket.send('421["echo","still"]');
        let answer: string | Uint8Array;
        do answer = await bystander.nextMessage(); while (answer !== '431["still"]');
        await bystander.close();
      });
    }

    it("the same bytes in a polling POST close that session", async () => {
      const session = await pollConnect(server.url);
      assert.equal(await session.post(`421["echo",${nestedArrays(15_000)}]`), 200);
      const next = await session.get();
      assert.ok(next.status === 400 || next.body.endsWith("1"), `session open: ${next.body}`);
      assert.equal(await serves(server.url), true);
    });

    it("a throwing handler does not end the process nor the session", async () => {
      const ws = await wsConnect(server.url);
      ws.socket.send('42["throw"]');
      ws.socket.send('427["echo","after"]');
      assert.equal(await ws.nextMessage(), '437["after"]');
      await ws.close();
      assert.equal(await serves(server.url), true);
    });
  });
}
