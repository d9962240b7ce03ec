/**
 * WebSocket compression, sio-edge against the official server with
 * `perMessageDeflate: { threshold: 64 }`: what a client offering
 * permessage-deflate is answered, which frames come compressed (RSV1) —
 * those over the threshold, unless sent with `socket.compress(false)` — and
 * the official client exchanging large messages over it. Deno's WebSocket
 * server has no extensions: it answers without one, every frame plain.
 * workerd negotiates the extension only where the option is on, and then
 * compresses every frame.
 */

import { connect } from "node:net";
import { maskedText } from "../_support/ws_frame.ts";
import { io as ioc } from "socket.io-client";
import { DEFLATE_PATH, MAIN_PATH } from "../_support/apps/conf_handlers.ts";
import { conformance, type Scenario } from "./_compare.ts";
import type { Target } from "./_targets.ts";

const BIG = "x".repeat(200);
/** What Bun answers to a permessage-deflate offer. */
const BUN_EXTENSION = "permessage-deflate; client_no_context_takeover; server_no_context_takeover";
/** What workerd answers to the same offer. */
const WORKERD_EXTENSION = "permessage-deflate; client_max_window_bits=15";
const TIMEOUT = 3_000;

/** One server frame as seen on the wire: compressed or not, its opcode, and text when plain. */
interface Frame {
  rsv1: boolean;
  opcode: number;
  text?: string;
}

/**
 * Opens a WebSocket offering permessage-deflate, sends `messages` one by one
 * after the open packet, and returns the extension answered and the frames
 * the server sent (until `count` frames, or a quiet 500 ms).
 */
function exchange(
  t: Target,
  messages: string[],
  count: number,
  path = DEFLATE_PATH,
): Promise<unknown> {
  return new Promise((resolve) => {
    const socket = connect(t.port, "127.0.0.1");
    let buffer = new Uint8Array(0);
    let head: string | undefined;
    const frames: Frame[] = [];
    let sent = false;
    const finish = () => {
      clearTimeout(timer);
      clearTimeout(quiet);
      socket.destroy();
      const ext = /sec-websocket-extensions:\s*([^\r\n]*)/i.exec(head ?? "")?.[1] ?? null;
      resolve({ status: Number(head?.split(" ")[1] ?? 0), extension: ext, frames });
    };
    const timer = setTimeout(finish, 5_000);
    let quiet: ReturnType<typeof setTimeout> | undefined;
    const parse = () => {
      while (buffer.length >= 2) {
        let n = buffer[1]! & 0x7f;
        let at = 2;
        if (n === 126) {
          if (buffer.length < 4) return;
          n = (buffer[2]! << 8) | buffer[3]!;
          at = 4;
        } else if (n === 127) {
          return finish();
        }
        if (buffer.length < at + n) return;
        const rsv1 = (buffer[0]! & 0x40) !== 0;
        const opcode = buffer[0]! & 0x0f;
        const payload = buffer.subarray(at, at + n);
        const frame: Frame = { rsv1, opcode };
        // the open packet carries a random sid: only its first bytes are kept
        if (!rsv1 && opcode === 1) {
          const text = new TextDecoder().decode(payload);
          frame.text = text.startsWith("0{")
            ? text.slice(0, 9)
            : text.startsWith("40{")
            ? text.slice(0, 10)
            : text.slice(0, 40);
        }
        frames.push(frame);
        buffer = buffer.slice(at + n);
      }
    };
    socket.on("connect", () =>
      socket.write(
        `GET ${path}/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
          "Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
          "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n",
      ));
    socket.on("data", (chunk: Uint8Array) => {
      const joined = new Uint8Array(buffer.length + chunk.length);
      joined.set(buffer);
      joined.set(chunk, buffer.length);
      buffer = joined;
      if (head === undefined) {
        const text = new TextDecoder("latin1").decode(buffer);
        const end = text.indexOf("\r\n\r\n");
        if (end === -1) return;
        head = text.slice(0, end);
        buffer = buffer.slice(end + 4);
      }
      parse();
      if (!sent && frames.length >= 1) {
        sent = true;
        socket.write(maskedText("40"));
        // one at a time, each after the server answered the previous one
        let i = 0;
        const next = () => {
          if (i < messages.length) socket.write(maskedText(messages[i++]!));
        };
        const step = setInterval(() => {
          if (i >= messages.length) clearInterval(step);
          else next();
        }, 50);
        socket.once("close", () => clearInterval(step));
      }
      clearTimeout(quiet);
      if (frames.length >= count) return finish();
      quiet = setTimeout(finish, 500);
    });
    socket.on("error", finish);
  });
}

/** What sio-edge sends for the exchange: compressed from 64 bytes on, unless compress(false). */
const EXPECTED_FRAMES: Frame[] = [
  { rsv1: true, opcode: 1 }, // the open packet, over 64 bytes
  { rsv1: false, opcode: 1, text: '40{"sid":"' },
  { rsv1: true, opcode: 1 },
  { rsv1: false, opcode: 1, text: '42["echo","small"]' },
  { rsv1: false, opcode: 1, text: `42["echo","${BIG}`.slice(0, 40) }, // compress(false)
  { rsv1: true, opcode: 1 },
];

/** The same frame uncompressed (on Deno), with its text. */
function plainFrame(frame: Frame): Frame {
  if (!frame.rsv1) return frame;
  const i = EXPECTED_FRAMES.indexOf(frame);
  const texts = [
    '0{"sid":"',
    "",
    `42["echo","${BIG}`.slice(0, 40),
    "",
    "",
    `431["${BIG}`.slice(0, 40),
  ];
  return { rsv1: false, opcode: 1, text: texts[i]! };
}

const scenarios: Scenario[] = [
  {
    name: "without perMessageDeflate (the default) no extension is negotiated",
    run: (t) => exchange(t, [`42["emit-back","${BIG}"]`], 3, MAIN_PATH),
    // Bun negotiates the extension for the whole Bun.serve, and the app
    // of this suite has one server with perMessageDeflate among its paths;
    // the frames of a server without it still go uncompressed.
    edge: (official, runtime) =>
      runtime !== "bun"
        ? official
        : { ...(official as Record<string, unknown>), extension: BUN_EXTENSION },
  },
  {
    name: "frames over the threshold come compressed, smaller ones and compress(false) plain",
    run: (t) =>
      exchange(t, [
        `42["emit-back","${BIG}"]`,
        '42["emit-back","small"]',
        `42["emit-plain","${BIG}"]`,
        `421["echo","${BIG}"]`,
      ], 6),
    // The official server (engine.io 6.6) passes neither the threshold nor
    // compress(false) to ws, so with context takeover every frame comes
    // compressed; sio-edge follows the documented rule (README, deliberate
    // differences). Bun's permessage-deflate always asks for no context
    // takeover; Deno.upgradeWebSocket negotiates no extension at all.
    // workerd compresses every frame of a socket that negotiated the
    // extension (a Worker's send() has no per-message choice), as the
    // official server does, and answers the offer's client_max_window_bits.
    edge: (official, runtime) =>
      runtime === "workerd" ? { ...(official as object), extension: WORKERD_EXTENSION } : ({
        ...(official as Record<string, unknown>),
        extension: runtime === "deno"
          ? null
          : runtime === "bun"
          ? BUN_EXTENSION
          : "permessage-deflate",
        frames: EXPECTED_FRAMES.map((frame) => runtime === "deno" ? plainFrame(frame) : frame),
      }),
  },
  {
    name: "the official client exchanges large messages over a compressed WebSocket",
    async run(t) {
      const socket = ioc(t.url, {
        path: DEFLATE_PATH,
        transports: ["websocket"],
        forceNew: true,
        reconnection: false,
        timeout: TIMEOUT,
      });
      try {
        await new Promise((resolve, reject) => {
          socket.once("connect", () => resolve(undefined));
          socket.once("connect_error", reject);
        });
        const text = "compressible ".repeat(500);
        const echo = await socket.timeout(TIMEOUT).emitWithAck("echo", text, { list: [text] });
        const back = await new Promise((resolve) => {
          socket.once("echo", (...args: unknown[]) => resolve(args));
          socket.emit("emit-plain", text);
        });
        return {
          echo: JSON.stringify(echo) === JSON.stringify([text, { list: [text] }]),
          back: JSON.stringify(back) === JSON.stringify([text]),
        };
      } finally {
        socket.close();
      }
    },
  },
];

conformance("WebSocket compression conformance", scenarios);
