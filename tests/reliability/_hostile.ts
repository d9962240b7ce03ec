/**
 * Raw Socket.IO clients for the reliability suite: they speak the wire
 * protocol by hand (so they can misbehave) against a server given by URL —
 * sio-edge on any runtime, or the official server for the reference figures.
 *
 * @module
 */

import { openWebSocket, type TestWebSocket } from "../_support/ws_client.ts";

/** `[[[…]]]` with `depth` arrays around `inner`. */
export function nestedArrays(depth: number, inner = ""): string {
  return "[".repeat(depth) + inner + "]".repeat(depth);
}

/** `{"a":{"a":…1}}` with `depth` objects. */
export function nestedObjects(depth: number): string {
  return '{"a":'.repeat(depth - 1) + '{"a":1}' + "}".repeat(depth - 1);
}

/** The hostile packets of issue 15, finding 1, as WebSocket frames. */
export function deepPackets(): { name: string; frames: (string | Uint8Array)[] }[] {
  return [
    { name: "ack, arrays 3,094 deep", frames: [`421["echo",${nestedArrays(3_094)}]`] },
    { name: "ack, arrays 15,000 deep", frames: [`421["echo",${nestedArrays(15_000)}]`] },
    { name: "ack, arrays 32,188 deep", frames: [`421["echo",${nestedArrays(32_188)}]`] },
    { name: "ack, objects 15,000 deep", frames: [`421["echo",${nestedObjects(15_000)}]`] },
    { name: "broadcast, 15,000 deep", frames: [`42["bcast",${nestedArrays(15_000)}]`] },
    {
      name: "binary ack, 15,000 deep",
      frames: [
        `451-1["echo",${nestedArrays(15_000, '{"_placeholder":true,"num":0}')}]`,
        new Uint8Array([1, 2, 3]),
      ],
    },
  ];
}

/** A WebSocket session connected to the main namespace. */
export async function wsConnect(base: string, path = "/socket.io/"): Promise<TestWebSocket> {
  const url = base.replace(/^http/, "ws") + `${path}?EIO=4&transport=websocket`;
  const ws = await openWebSocket(url);
  const open = await ws.nextMessage();
  if (typeof open !== "string" || !open.startsWith("0{")) {
    await ws.close();
    throw new Error(`no open packet: ${String(open)}`);
  }
  ws.socket.send("40");
  for (;;) {
    const m = await ws.nextMessage();
    if (typeof m === "string" && m.startsWith("40")) return ws;
  }
}

/** Waits until `ws` is closed by the server; returns the close code, or `undefined` on timeout. */
export async function closedWithin(ws: TestWebSocket, ms: number): Promise<number | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return undefined;
    const event = await ws.next(left).catch(() => undefined);
    if (event === undefined) return undefined;
    if (event.type === "close") return event.code;
  }
}

/** Whether the server answers a fresh client's `echo` within `ms`. */
export async function serves(base: string, path = "/socket.io/", ms = 5_000): Promise<boolean> {
  let ws: TestWebSocket | undefined;
  try {
    ws = await wsConnect(base, path);
    ws.socket.send('421["echo","alive"]');
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const m = await ws.nextMessage(deadline - Date.now());
      if (m === '431["alive"]') return true;
    }
    return false;
  } catch {
    return false;
  } finally {
    await ws?.close().catch(() => {});
  }
}

/** A long-polling session (raw HTTP) connected to the main namespace. */
export interface PollingSession {
  readonly sid: string;
  /** POSTs a raw Engine.IO payload; returns the status. */
  post(payload: string): Promise<number>;
  /** One GET; returns status and body. */
  get(): Promise<{ status: number; body: string }>;
}

/** Opens a polling session and connects it to the main namespace. */
export async function pollConnect(base: string, path = "/socket.io/"): Promise<PollingSession> {
  const url = `${base}${path}?EIO=4&transport=polling`;
  const res = await fetch(url);
  const body = await res.text();
  if (res.status !== 200 || !body.startsWith("0{")) throw new Error(`handshake: ${body}`);
  const sid = (JSON.parse(body.slice(1)) as { sid: string }).sid;
  const session: PollingSession = {
    sid,
    async post(payload) {
      const r = await fetch(`${url}&sid=${sid}`, { method: "POST", body: payload });
      await r.arrayBuffer();
      return r.status;
    },
    async get() {
      const r = await fetch(`${url}&sid=${sid}`);
      return { status: r.status, body: await r.text() };
    },
  };
  await session.post("40");
  const connected = await session.get();
  if (!connected.body.startsWith("40")) throw new Error(`connect: ${connected.body}`);
  return session;
}
