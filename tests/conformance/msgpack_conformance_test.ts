/**
 * The msgpack parser, sio-edge (`sio-edge/msgpack`) against the official
 * server with `socket.io-msgpack-parser`: the official client configured
 * with that parser over WebSocket and polling (events, acks, binary both
 * ways, a second namespace, disconnect reasons), the exact bytes of the
 * frames both ways, and what bad msgpack input does.
 */

import { Buffer } from "node:buffer";
import { io as ioc, type Socket } from "socket.io-client";
import * as msgpack from "socket.io-msgpack-parser";
import { MSGPACK_PATH, type SocketReport } from "../_support/apps/conf_handlers.ts";
import { conformance, replaceIn, type Scenario } from "./_compare.ts";
import type { Target } from "./_targets.ts";
import type { Ids } from "./_ids.ts";
import { upTo, WsConn } from "./_wire.ts";

const TIMEOUT = 3_000;

/** Binary as `{ bin: [...] }` (Buffer, Uint8Array, ArrayBuffer alike), recursively. */
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

/** A connected official client with the msgpack parser. */
function client(t: Target, nsp: string, transports: string[]): Promise<Socket> {
  const socket = ioc(`${t.url}${nsp}`, {
    path: MSGPACK_PATH,
    parser: msgpack,
    transports,
    forceNew: true,
    reconnection: false,
    timeout: TIMEOUT,
  } as never);
  return new Promise((resolve, reject) => {
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (err: Error) => {
      socket.close();
      reject(err);
    });
  });
}

/** The official decoder's reading of a `<binary hex>` frame: the packet, keys in wire order. */
function readFrame(frame: string, ids: Ids): unknown {
  const hex = /^<binary ([0-9a-f]*)>$/.exec(frame)?.[1];
  if (hex === undefined) return frame;
  const decoder = new msgpack.Decoder();
  let packet: Record<string, unknown> | undefined;
  decoder.on("decoded", (p: Record<string, unknown>) => (packet = p));
  try {
    decoder.add(Buffer.from(hex, "hex") as never);
  } catch (err) {
    return `<undecodable ${(err as Error).message}>`;
  }
  const sid = (packet?.data as { sid?: unknown } | undefined)?.sid;
  if (packet?.type === 0) ids.add("id", sid);
  // a frame without random ids is compared byte for byte
  return { keys: Object.keys(packet!).join(","), packet: plain(packet), ...(sid ? {} : { hex }) };
}

/** Official-parser bytes of `packet`. */
function officialBytes(packet: Record<string, unknown>): Uint8Array {
  const [bytes] = new msgpack.Encoder().encode(packet as never) as unknown as [Buffer];
  return new Uint8Array(bytes);
}

/** Bad input: what, the message, and whether sio-edge refuses what the official server takes. */
const BAD_INPUT: [string, string | Uint8Array, boolean][] = [
  ["a text frame", '42["echo"]', false],
  ["bytes that are no msgpack", new Uint8Array([0xc1]), false],
  ["a packet of an unknown type", officialBytes({ type: 7, data: ["x"], nsp: "/" }), false],
  ["an event of a reserved name", officialBytes({ type: 2, data: ["disconnect"], nsp: "/" }), true],
];

const CLIENT_SCENARIOS: Scenario[] = ["websocket", "polling"].map((transport) => ({
  name: `the official client with socket.io-msgpack-parser over ${transport}`,
  async run(t, ids) {
    const main = await client(t, "/", [transport]);
    const custom = await client(t, "/custom", [transport]);
    ids.add("id", main.id);
    ids.add("id", custom.id);
    try {
      const bytes = Buffer.from([1, 2, 3, 255]);
      const echo = await main.timeout(TIMEOUT).emitWithAck("echo", "hé", bytes, {
        n: 1.5,
        big: 2 ** 40,
        neg: -300,
        list: [null, true],
      });
      const back = await new Promise((resolve) => {
        main.once("echo", (...args: unknown[]) => resolve(args));
        main.emit("emit-back", { nested: bytes }, [bytes]);
      });
      const question = await new Promise((resolve) => {
        main.once("question", (...args: unknown[]) => {
          const ack = args.pop() as (...a: unknown[]) => void;
          main.once("answer", (...answer: unknown[]) => resolve({ args, answer }));
          ack("yes", bytes);
        });
        main.emit("ask", "sure?");
      });
      const rooms = await custom.timeout(TIMEOUT).emitWithAck("join", "r1").then(() =>
        custom.timeout(TIMEOUT).emitWithAck("whoami")
      );
      const reason = await new Promise((resolve) => {
        main.once("disconnect", (why: string) => resolve(why));
        main.emit("disconnect-me");
      });
      const server = await custom.timeout(TIMEOUT).emitWithAck("report", main.id);
      return plain({ echo, back, question, rooms, reason, server });
    } finally {
      main.close();
      custom.close();
    }
  },
}));

const RAW_SCENARIOS: Scenario[] = [
  {
    name: "msgpack frames over WebSocket are the official bytes, both ways",
    async run(t, ids) {
      const ws = await WsConn.open(ids, `${t.url}${MSGPACK_PATH}/`);
      await ws.send(officialBytes({ type: 0, nsp: "/" }));
      const frames = await ws.read(upTo("<binary"));
      await ws.send(
        officialBytes({ type: 2, data: ["echo", 1, "two", Buffer.from([3])], id: 4, nsp: "/" }),
      );
      frames.push(...await ws.read(upTo("<binary")));
      await ws.send(officialBytes({ type: 2, data: ["emit-back", { a: [1.25, null] }], nsp: "/" }));
      frames.push(...await ws.read(upTo("<binary")));
      await ws.send(officialBytes({ type: 1, nsp: "/" }));
      await ws.end();
      return frames.map((f) => readFrame(f, ids));
    },
  },
  ...BAD_INPUT.map(([what, input, stricter]): Scenario => ({
    name: `${what} from a connected client closes the connection${
      stricter ? " (sio-edge is stricter)" : ""
    }`,
    async run(t, ids) {
      const observer = await client(t, "/custom", ["websocket"]);
      const ws = await WsConn.open(ids, `${t.url}${MSGPACK_PATH}/`);
      try {
        await ws.send(officialBytes({ type: 0, nsp: "/" }));
        const [connected] = await ws.read(upTo("<binary"));
        const id = (readFrame(connected!, ids) as { packet: { data: { sid: string } } }).packet
          .data.sid;
        await ws.send(input);
        const closed = await ws.closesWithin(1_000);
        const report = await observer.timeout(TIMEOUT).emitWithAck("report", id) as SocketReport;
        return { closed, reason: report.reason, errors: report.errors.length };
      } finally {
        observer.close();
        await ws.end();
      }
    },
    // A decoder's throw closes the connection with "parse error", as bad JSON
    // does (README, deliberate differences; the official server says "forced
    // close"). A reserved event name is refused as malformed: the official
    // server hands a client's "disconnect" event to the application's own
    // disconnect listeners.
    edge: (official) =>
      stricter
        ? { closed: true, reason: "parse error", errors: 1 }
        : replaceIn(official, "forced close", "parse error"),
  })),
];

conformance("msgpack parser conformance", [...CLIENT_SCENARIOS, ...RAW_SCENARIOS]);
