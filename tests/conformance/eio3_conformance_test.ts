/**
 * Engine.IO v3 and Socket.IO 2.x clients (`allowEIO3`), sio-edge against the
 * official server with `allowEIO3: true`: `socket.io-client` 2.x over
 * polling, WebSocket and the upgrade (events, acks, binary both ways,
 * namespaces with query strings, a refusal in the v2 error form, rooms,
 * disconnect reasons), and `engine.io-client` 3.x at the engine level
 * (messages both ways, binary over polling and WebSocket, the client's pings).
 */

import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import { EIO3_PATH } from "../_support/apps/conf_handlers.ts";
import { conformance, type Scenario } from "./_compare.ts";
import type { Target } from "./_targets.ts";
import type { Ids } from "./_ids.ts";
import { jsonpConversation, seen } from "./_engine.ts";
import { request } from "./_http.ts";
import { after, upTo, WsConn } from "./_wire.ts";

const require = createRequire(import.meta.url);
// deno-lint-ignore no-explicit-any
const ioV2 = require("socket.io-client-v2") as (url: string, opts: object) => any;
// deno-lint-ignore no-explicit-any
const EngineV3 = require("engine.io-client-v3") as new (url: string, opts: object) => any;

// generous: a fresh workerd object under a loaded CI machine can take seconds to answer the
// first poll; every wait is bounded by it and a passing run never waits it out
const TIMEOUT = 10_000;
const TRANSPORTS: [string, string[]][] = [
  ["polling", ["polling"]],
  ["websocket", ["websocket"]],
  ["polling then websocket", ["polling", "websocket"]],
];

/** Binary as `{ bin: [...] }`, recursively. */
function plain(value: unknown): unknown {
  if (value instanceof ArrayBuffer) return { bin: [...new Uint8Array(value)] };
  if (ArrayBuffer.isView(value)) {
    return { bin: [...new Uint8Array(value.buffer, value.byteOffset, value.byteLength)] };
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function within<T>(what: string, fn: (done: (value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${TIMEOUT} ms`)), TIMEOUT);
    fn((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

// deno-lint-ignore no-explicit-any
type V2Socket = any;

function v2(t: Target, nsp: string, transports: string[], query?: Record<string, string>) {
  return ioV2(`${t.url}${nsp}`, {
    path: EIO3_PATH,
    transports,
    forceNew: true,
    reconnection: false,
    timeout: TIMEOUT,
    ...(query ? { query } : {}),
  }) as V2Socket;
}

function ack(socket: V2Socket, ...args: unknown[]): Promise<unknown[]> {
  return within("ack", (done) => socket.emit(...args, (...answer: unknown[]) => done(answer)));
}

function connected(socket: V2Socket): Promise<string> {
  return within("connect", (done) => {
    socket.once("connect", () => done("connect"));
    socket.once("error", (err: unknown) => done(`error ${JSON.stringify(err)}`));
    socket.once("connect_error", (err: Error) => done(`connect_error ${err.message}`));
  });
}

const SOCKETIO: Scenario[] = TRANSPORTS.map(([what, transports]) => ({
  name: `socket.io-client 2.x over ${what}`,
  async run(t, ids: Ids) {
    const main = v2(t, "/", transports);
    const custom = v2(t, "/custom", transports, { token: "abc" });
    const refused = v2(t, "/private", transports);
    try {
      const seen: Record<string, unknown> = {};
      // listening from the start: the refusal can arrive before the other two have connected
      [seen.main, seen.custom, seen.refused] = await Promise.all(
        [main, custom, refused].map(connected),
      );
      ids.add("id", main.id);
      ids.add("id", custom.id);
      // the upgrade completes (bounded), or the only transport stays
      seen.engineTransport = transports.length === 1
        ? main.io.engine.transport.name
        : await within("upgrade", (done) => {
          // bounded: 500 looks, 20 ms apart (the wait itself gives up after TIMEOUT)
          const check = (left: number) => {
            if (main.io.engine.transport.name === "websocket") done("upgraded");
            else if (left > 0) setTimeout(check, 20, left - 1);
          };
          check(500);
        });
      seen.echo = await ack(main, "echo", "hé", 1.5, Buffer.from([1, 2, 3]), { nested: [null] });
      seen.back = await within("echo", (done) => {
        main.once("echo", (...args: unknown[]) => done(args));
        main.emit("emit-back", { file: Buffer.from([9, 8]) }, "text");
      });
      seen.question = await within("answer", (done) => {
        main.once("question", (...args: unknown[]) => {
          const reply = args.pop() as (...a: unknown[]) => void;
          main.once("answer", (...answer: unknown[]) => done({ args, answer }));
          reply("yes", Buffer.from([7]));
        });
        main.emit("ask", "sure?");
      });
      seen.handshake = await ack(custom, "handshake");
      await ack(custom, "join", "room1");
      seen.room = await within("room event", (done) => {
        custom.once("in-room", (...args: unknown[]) => done(args));
        main.emit("whoami", () => {});
        void ack(custom, "to-room", "room1", "in-room", "hello");
      });
      seen.whoami = await ack(custom, "whoami");
      seen.serverDisconnect = await within("disconnect", (done) => {
        main.once("disconnect", (reason: string) => done(reason));
        main.emit("disconnect-me");
      });
      return plain(seen);
    } finally {
      main.close();
      custom.close();
      refused.close();
    }
  },
}));

const ENGINE: Scenario[] = [["polling", ["polling"]], ["websocket", ["websocket"]]].map((
  [what, transports],
) => ({
  name: `engine.io-client 3.x over ${what}: messages, binary, the client's pings`,
  async run(t) {
    const socket = new EngineV3(`${t.url}`, {
      path: `${EIO3_PATH}/`,
      transports,
      forceNew: true,
    });
    const seen: unknown[] = [];
    const inbox: unknown[] = [];
    let wake: (() => void) | undefined;
    socket.on("message", (m: unknown) => {
      inbox.push(m);
      wake?.();
    });
    const next = (what: string) =>
      within<unknown>(what, (done) => {
        if (inbox.length) return done(inbox.shift());
        wake = () => {
          wake = undefined;
          done(inbox.shift());
        };
      });
    try {
      const handshake = await within<Record<string, unknown>>(
        "open",
        (done) => socket.once("handshake", (data: Record<string, unknown>) => done(data)),
      );
      seen.push({
        handshakeKeys: Object.keys(handshake).sort(),
        pingTimeout: handshake.pingTimeout,
      });
      seen.push(await next("the CONNECT"));
      socket.send('21["echo","engine"]');
      seen.push(await next("the ack"));
      socket.send('51-2["echo",{"_placeholder":true,"num":0}]');
      socket.send(Buffer.from([4, 5, 6]));
      seen.push(await next("the binary ack head"));
      seen.push(plain(await next("the binary ack attachment")));
      seen.push(
        await within("pong", (done) => {
          socket.once("pong", () => done("pong"));
          socket.ping();
        }),
      );
      return seen;
    } finally {
      socket.close();
    }
  },
}));

/** The raw v3 polling exchange of the protocol documents, with b64=1 and without. */
const RAW: Scenario[] = ["&b64=1", ""].map((b64) => ({
  name: `a raw v3 polling conversation${b64 ? " with b64=1" : " (binary payloads)"}`,
  async run(t, ids) {
    const base = `${t.url}${EIO3_PATH}/?EIO=3&transport=polling${b64}`;
    const open = await request(base);
    if ("error" in open) return open;
    const sid = JSON.parse(open.body.slice(open.body.indexOf(":") + 2).split("}")[0] + "}").sid;
    ids.add("sid", sid);
    const url = `${base}&sid=${sid}`;
    // the open packet's length counts the sid, longer on Cloudflare (it names the
    // Durable Object): compared as with the official 20 characters
    const handshake = seen(open) as { body: string };
    const extra = sid.length - 20;
    handshake.body = handshake.body.replace(/^(\d+):/, (_, n) => `${Number(n) - extra}:`);
    const out: unknown[] = [handshake];
    // a binary event: its text part, then the attachment as a base64 packet
    const post = await request(url, {
      method: "POST",
      body: '43:451-1["echo",{"_placeholder":true,"num":0}]6:b4AQID',
      headers: { "content-type": "text/plain;charset=UTF-8" },
    });
    out.push(seen(post));
    const get = await fetch(url, { signal: AbortSignal.timeout(3_000) });
    const bytes = new Uint8Array(await get.arrayBuffer());
    out.push({
      status: get.status,
      type: get.headers.get("content-type"),
      body: get.headers.get("content-type")?.includes("octet")
        ? [...bytes]
        : new TextDecoder().decode(bytes),
    });
    out.push(seen(await request(url, { method: "POST", body: "1:2" })));
    out.push(seen(await request(url)));
    await request(url, { method: "POST", body: "1:1" });
    return out;
  },
}));

/** A raw v3 WebSocket: a binary event in, its binary ack out; with b64=1 the attachment is `b4…` text. */
const RAW_WS: Scenario[] = [{ b64: "1" }, {}].map((extra) => ({
  name: `a raw v3 WebSocket conversation${extra.b64 ? " with b64=1" : " (binary frames)"}`,
  async run(t, ids) {
    const ws = await WsConn.open(ids, `${t.url}${EIO3_PATH}/`, { query: { EIO: "3", ...extra } });
    try {
      await ws.read(upTo("40"));
      await ws.send('451-1["echo",{"_placeholder":true,"num":0}]', "b4AQID");
      await ws.read(after("461-1", 1));
      return ws.log;
    } finally {
      await ws.end();
    }
  },
}));

/** JSONP polling, as socket.io-client 2.x uses it with `forceJSONP` (and always b64=1). */
const JSONP: Scenario[] = [{
  name: "a raw v3 JSONP polling conversation (j=, b64=1)",
  run: (t, ids) =>
    jsonpConversation(
      `${t.url}${EIO3_PATH}/?EIO=3&transport=polling&b64=1`,
      ids,
      (packets) => packets.map((p) => `${p.length}:${p}`).join(""),
    ),
}];

conformance("Engine.IO v3 / Socket.IO 2.x clients conformance", [
  ...RAW,
  ...JSONP,
  ...RAW_WS,
  ...SOCKETIO,
  ...ENGINE,
]);
