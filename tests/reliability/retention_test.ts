/**
 * Issue 15, finding 5: sio-edge itself keeps nothing of a session cut
 * without a close frame — no session, socket, room entry, timer or object
 * outlives it (checked with WeakRefs after a full collection, where the
 * runtime offers one: Bun always, Deno and Node with --expose-gc).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { RequestContext, WebSocketEvents } from "../../src/engine/ports.ts";
import { Server } from "../../src/socket/server.ts";
import { FakeWebSocket } from "../_support/fake_websocket.ts";
import { FakeClock } from "../_support/fake_clock.ts";

// Bun alone (`bun test` of this one file) kept 43-55 of the objects of 300
// sessions reachable, and none of 3,000: a fixed handful its conservative
// stack scan still sees, not a share of the sessions. Enough sessions that
// this handful is below the tolerance, and a leak of one object per session
// far above it.
const SESSIONS = 3000;

function collect(): boolean {
  const g = globalThis as { gc?: () => void; Bun?: { gc(force: boolean): void } };
  if (g.gc) g.gc();
  else if (g.Bun) g.Bun.gc(true);
  else return false;
  return true;
}

const canCollect = typeof (globalThis as { gc?: unknown }).gc === "function" ||
  typeof (globalThis as { Bun?: unknown }).Bun === "object";

describe("nothing outlives a cut session", () => {
  it(`${SESSIONS} WebSockets cut without a close frame leave no session, socket, room or timer`, {
    skip: canCollect ? false : "no full collection on this runtime without --expose-gc",
  }, async () => {
    const clock = new FakeClock();
    const io = new Server({ clock, serveClient: false });
    const refs: WeakRef<object>[] = [];
    io.on("connection", (socket) => {
      void socket.join(["room-a", socket.id + "-own"]);
      socket.on("echo", () => {});
      refs.push(new WeakRef(socket), new WeakRef(socket.conn));
    });
    await _openAndCut(io, refs);
    for (let i = 0; i < 50; i++) await null;
    assert.equal(io.engine.clientsCount, 0, "sessions left");
    assert.equal(io.sockets.sockets.size, 0, "sockets left");
    assert.equal(io.sockets.adapter.rooms.size, 0, "rooms left");
    assert.equal(io.sockets.adapter.sids.size, 0, "sids left");
    assert.equal(clock.pending, 0, "timers left");
    // WeakRef targets stay alive until the current job ends; Bun collects in a few passes
    for (let pass = 0; pass < 5; pass++) {
      await new Promise((r) => setTimeout(r, 1));
      collect();
    }
    const alive = refs.filter((r) => r.deref() !== undefined);
    // Bun's collector scans the stack conservatively: a few may look reachable
    const tolerance = "Bun" in globalThis ? Math.ceil(refs.length / 100) : 0;
    assert.ok(
      alive.length <= tolerance,
      `${alive.length} of ${refs.length} objects of cut sessions are still reachable: ` +
        alive.slice(0, 5).map((r) => r.deref()?.constructor.name).join(", "),
    );
    await io.close();
  });
});

/** Opens SESSIONS WebSocket sessions, then cuts them all (1006, no close frame). */
async function _openAndCut(io: Server, refs: WeakRef<object>[]): Promise<void> {
  const cut: WebSocketEvents[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    let events: WebSocketEvents | undefined;
    const ctx: RequestContext = {
      upgrade: (_req, e) => {
        events = e;
        return new Response(null, { status: 200 });
      },
    };
    const res = await io.handle(
      new Request("http://localhost/socket.io/?EIO=4&transport=websocket", {
        headers: { upgrade: "websocket", connection: "Upgrade" },
      }),
      ctx,
    );
    await res.arrayBuffer();
    const ws = new FakeWebSocket();
    refs.push(new WeakRef(ws));
    events!.onOpen(ws);
    events!.onMessage("40");
    cut.push(events!);
  }
  for (let i = 0; i < 50; i++) await null;
  assert.equal(io.sockets.sockets.size, SESSIONS);
  // the TCP connections die: the runtime reports 1006, no close frame
  for (const events of cut.splice(0)) events.onClose(1006, "");
}
