/**
 * Raw Socket.IO clients for the reliability suite: they speak the wire
 * protocol by hand (so they can misbehave) against a server given by URL —
 * sio-edge on any runtime, or the official server for the reference figures.
 *
 * @module
 */

import { openWebSocket, type TestWebSocket } from "../_support/ws_client.ts";
import { maskedText } from "../_support/ws_frame.ts";

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
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline) {
    const m = await ws.nextMessage(Math.max(1, deadline - Date.now())).catch(() => undefined);
    if (typeof m === "string" && m.startsWith("40")) return ws;
    if (m === "2") ws.socket.send("3");
  }
  await ws.close().catch(() => {});
  throw new Error("no answer to CONNECT within 5 s");
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

/** A WebSocket over a raw TCP socket: it can stop reading, or vanish without a close frame. */
export interface RawWebSocket {
  readonly socket: import("node:net").Socket;
  /** Sends a masked text frame. */
  sendText(text: string): void;
  /** Whether the server closed the TCP connection. */
  readonly ended: boolean;
}

/**
 * Opens a WebSocket by hand on 127.0.0.1:`port` and connects it to the main
 * namespace (`40`), reading only what that needs; then it reads nothing more
 * unless the caller resumes the socket.
 */
export async function rawWebSocket(port: number, path = "/socket.io/"): Promise<RawWebSocket> {
  const { connect } = await import("node:net");
  const { Buffer } = await import("node:buffer");
  const socket = connect(port, "127.0.0.1");
  let ended = false;
  socket.on("close", () => (ended = true));
  socket.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
  const key = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  socket.write(
    `GET ${path}?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
      `Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\n` +
      "Sec-WebSocket-Version: 13\r\n\r\n",
  );
  const ws: RawWebSocket = {
    socket,
    sendText(text) {
      socket.write(maskedText(text, crypto.getRandomValues(new Uint8Array(4))));
    },
    get ended() {
      return ended;
    },
  };
  // read until the Socket.IO CONNECT answer, then stop reading
  let seen = "";
  let connectSent = false;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no WebSocket handshake")), 5_000);
    const onData = (chunk: Uint8Array) => {
      seen += Buffer.from(chunk).toString("latin1");
      if (!connectSent && seen.includes('0{"sid"')) {
        connectSent = true;
        ws.sendText("40");
      }
      if (seen.includes('40{"sid"')) {
        clearTimeout(timer);
        socket.off("data", onData);
        socket.pause();
        resolve();
      }
    };
    socket.on("data", onData);
  });
  return ws;
}

/** The hostile app's `stats` (sessions, sockets, heap and RSS after GC where it can). */
export async function stats(
  base: string,
  path = "/socket.io/",
): Promise<
  {
    sessions: number;
    sockets: number;
    heapUsed: number;
    rss: number;
    reasons: Record<string, number>;
  }
> {
  const ws = await wsConnect(base, path);
  try {
    ws.socket.send('429["stats"]');
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const m = await ws.nextMessage(Math.max(1, deadline - Date.now()));
      if (m === "2") ws.socket.send("3");
      if (typeof m === "string" && m.startsWith("439[")) return JSON.parse(m.slice(3))[0];
    }
    throw new Error("no stats within 10 s");
  } finally {
    await ws.close().catch(() => {});
  }
}

/**
 * Sends a request head (and `body`) on a raw TCP socket and measures how long
 * the server holds the connection: until it answers or closes it (with
 * `untilClose`, until it closes it, answered or not).
 */
export async function heldFor(
  port: number,
  head: string,
  body: string,
  maxMs: number,
  untilClose = false,
): Promise<{ ms: number; status: number | undefined; closed: boolean }> {
  const { connect } = await import("node:net");
  const socket = connect(port, "127.0.0.1");
  socket.on("error", () => {});
  const started = Date.now();
  return await new Promise((resolve) => {
    let data = "";
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
      socket.destroy();
      resolve({ ms: Date.now() - started, status: match ? Number(match[1]) : undefined, closed });
    };
    const timer = setTimeout(() => finish(false), maxMs);
    socket.on("connect", () => socket.write(head + body));
    socket.on("data", (chunk) => {
      data += chunk.toString("latin1");
      if (!untilClose && /\r\n\r\n/.test(data)) finish(false);
    });
    socket.on("close", () => finish(true));
  });
}

/** A server child started under a file-descriptor limit. */
export interface LimitedServer {
  readonly port: number;
  readonly url: string;
  /** Whether the process is still running. */
  alive(): boolean;
  /** What the process wrote to stderr (the last 8 KB). */
  stderr(): string;
  close(): Promise<void>;
}

/**
 * Serves the `hostile` test app on `runtime` with `ulimit -n nofile` (bash's
 * builtin, for that child only), the official server with `runtime:
 * "official"` (Node) or `"official-bun"` (`@socket.io/bun-engine`), or a bare Deno WebSocket server (`_bare_deno.ts`, idle
 * scenario only) with `"bare-deno"`.
 */
export async function startLimited(
  runtime: "deno" | "bun" | "node" | "official" | "official-bun" | "bare-deno",
  nofile: number,
  env: Record<string, string> = {},
): Promise<LimitedServer> {
  // loaded when needed, as the other node: modules here
  const { startChildServer } = await import("../_support/child_server.ts");
  const bin = "node_modules/.bin";
  const command = {
    deno:
      `${bin}/deno run -A --quiet --v8-flags=--expose-gc tests/_support/serve_fixture.ts hostile deno`,
    bun: `${bin}/bun run tests/_support/serve_fixture.ts hostile bun`,
    node: `node --expose-gc --import tsx tests/_support/serve_fixture.ts hostile node`,
    official: `node --expose-gc --import tsx tests/reliability/_official_hostile.ts`,
    "official-bun": `${bin}/bun run tests/reliability/_official_bun_hostile.ts`,
    "bare-deno":
      `${bin}/deno run -A --quiet --v8-flags=--expose-gc tests/reliability/_bare_deno.ts`,
  }[runtime];
  const server = await startChildServer("bash", ["-c", `ulimit -n ${nofile} && exec ${command}`], {
    env,
    timeoutMs: 20_000,
    name: runtime,
  });
  return {
    port: server.port,
    url: `http://127.0.0.1:${server.port}`,
    alive: server.alive,
    stderr: server.stderr,
    async close() {
      if (!server.alive()) return;
      server.kill("SIGKILL");
      await server.exited;
    },
  };
}

/** Opens `n` TCP connections to `port` (every other one sends half a request head). */
export async function flood(port: number, n: number): Promise<{ destroy(): void }> {
  const { connect } = await import("node:net");
  const sockets: import("node:net").Socket[] = [];
  for (let i = 0; i < n; i++) {
    const s = connect(port, "127.0.0.1");
    s.on("error", () => {});
    if (i % 2) s.on("connect", () => s.write("GET / HTTP/1.1\r\nHost: x\r\n"));
    sockets.push(s);
  }
  await new Promise((r) => setTimeout(r, 500));
  return {
    destroy() {
      for (const s of sockets) s.destroy();
    },
  };
}
