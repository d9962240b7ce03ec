/**
 * The fuzzing of the reliability suite, seeded and reproducible: mutated
 * Engine.IO and Socket.IO packets through the decoders and through a whole
 * server (fake WebSocket, every layer), and malformed HTTP requests through
 * the fetch handler. The quick form runs in `npm test`; `npm run soak` runs
 * it at full size (`SOAK=1`). A failure prints the seed and the path that
 * replays it (`FUZZ_SEED=<seed>`).
 *
 * @module
 */

import fc from "fast-check";
import process from "node:process";

/** The run's seed: `FUZZ_SEED` when set (to replay a failure), else fixed. */
export const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed15);

/** Whether the full (soak) sizes are asked for. */
export const SOAK = process.env.SOAK === "1";

/** Valid packets to mutate: the Socket.IO packets a client sends, as Engine.IO messages. */
export const SEEDS: readonly string[] = [
  "40",
  '40{"token":"abc"}',
  "40/admin,",
  '42["echo","hello"]',
  '421["echo",{"a":[1,2,{"b":null}]}]',
  '42/admin,7["bcast",1,"two",[3]]',
  "431[]",
  '43/admin,12["ok"]',
  '451-["echo",{"_placeholder":true,"num":0}]',
  '452-1["echo",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]',
  "41",
  "41/admin,",
  "3",
  "2",
  "6",
  "5",
  "1",
  "bAQID",
  '42["bcast",[[[[[[[[[[1]]]]]]]]]]]',
];

/** Characters that matter to the parsers. */
const SPECIAL = [
  "[",
  "]",
  "{",
  "}",
  '"',
  "\\",
  ",",
  "/",
  "-",
  ":",
  "\x1e",
  "0",
  "1",
  "4",
  "9",
  "_placeholder",
  "num",
  "\u0000",
  "\ud800",
  "é",
  "9999999999999999999",
  "-1",
  "null",
  "true",
];

/** One mutation of a string. */
const mutation = fc.oneof(
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    text: fc.constantFrom(...SPECIAL),
  }),
  fc.record({
    kind: fc.constant("insertAny" as const),
    at: fc.nat(),
    text: fc.string({ maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant("delete" as const),
    at: fc.nat(),
    n: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({
    kind: fc.constant("replace" as const),
    at: fc.nat(),
    text: fc.constantFrom(...SPECIAL),
  }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("nest" as const), depth: fc.integer({ min: 1, max: 3_000 }) }),
  fc.record({ kind: fc.constant("repeat" as const), n: fc.integer({ min: 2, max: 50 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function apply(text: string, m: Mutation): string {
  if (text.length > 200_000) return text;
  const at = "at" in m ? m.at % (text.length + 1) : 0;
  switch (m.kind) {
    case "insert":
    case "insertAny":
      return text.slice(0, at) + m.text + text.slice(at);
    case "delete":
      return text.slice(0, at) + text.slice(at + m.n);
    case "replace":
      return text.slice(0, at) + m.text + text.slice(at + 1);
    case "truncate":
      return text.slice(0, at);
    case "nest": {
      const open = text.indexOf("[");
      if (open === -1) return text + "[".repeat(m.depth);
      return text.slice(0, open + 1) + "[".repeat(m.depth) + "]".repeat(m.depth) + "," +
        text.slice(open + 1);
    }
    case "repeat":
      // bounded: mutations compound, and a packet over maxHttpBufferSize only tests the size check
      return text.length * m.n > 100_000 ? text : text.repeat(m.n);
  }
}

/** A mutated packet: a seed packet (or random text) with 0–5 mutations. */
export const mutatedPacket: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 9,
    arbitrary: fc.tuple(fc.constantFrom(...SEEDS), fc.array(mutation, { maxLength: 5 })),
  },
  { weight: 1, arbitrary: fc.tuple(fc.string({ maxLength: 40 }), fc.constant([] as Mutation[])) },
).map(([text, mutations]) => mutations.reduce(apply, text));

/** A JSON-ish value with binary leaves, for round trips. */
export const payload: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 8 }),
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(fc.string({ maxLength: 6 }), tie("value"), { maxKeys: 4 }),
  ),
})).value;

const METHODS = ["GET", "POST", "PUT", "DELETE", "OPTIONS", "HEAD", "PATCH", "BREW"];
const PATHS = [
  "/socket.io/",
  "/socket.io",
  "/socket.io/x",
  "/",
  "/engine.io/",
  "/socket.io/socket.io.js",
  "/socket.io/../x",
];
const QUERY_KEYS = ["EIO", "transport", "sid", "j", "b64", "t", "x"];
const QUERY_VALUES = [
  "4",
  "3",
  "5",
  "polling",
  "websocket",
  "flashsocket",
  "",
  "0",
  "-1",
  "%",
  "AAAAAAAAAAAAAAAAAAAA",
  "\u0000",
];
const HEADERS: [string, string[]][] = [
  ["content-type", [
    "text/plain",
    "application/octet-stream",
    "application/json",
    "",
    "x/y; charset=utf-7",
  ]],
  ["content-length", ["0", "5", "-1", "1e9", "abc", "99999999999"]],
  ["origin", ["http://evil.example", "null", ""]],
  ["upgrade", ["websocket", "h2c", ""]],
  ["connection", ["Upgrade", "close", "keep-alive"]],
  ["accept-encoding", ["gzip", "deflate", "br", "*", "gzip;q=0"]],
  ["cookie", ["io=abc", "io=", "=;;;"]],
];

/** A malformed (or, now and then, valid) request to the fetch handler. */
export interface FuzzRequest {
  method: string;
  path: string;
  query: [string, string][];
  headers: [string, string][];
  body: string | undefined;
  /** Put the sid of a live session in the query. */
  liveSid: boolean;
}

export const fuzzRequest: fc.Arbitrary<FuzzRequest> = fc.record({
  method: fc.constantFrom(...METHODS),
  path: fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...PATHS) }, fc.webPath()),
  query: fc.array(
    fc.tuple(
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) },
        fc.string({ maxLength: 5 }),
      ),
      fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...QUERY_VALUES) },
        fc.string({ maxLength: 8 }),
      ),
    ),
    { maxLength: 5 },
  ),
  headers: fc.array(
    fc.constantFrom(...HEADERS).chain(([name, values]) =>
      fc.tuple(fc.constant(name), fc.constantFrom(...values))
    ),
    { maxLength: 3 },
  ),
  body: fc.option(mutatedPacket, { nil: undefined }),
  liveSid: fc.boolean(),
});

/** The official close reasons of a session. */
export const OFFICIAL_REASONS = new Set([
  "parse error",
  "transport error",
  "transport close",
  "forced close",
  "forced server close",
  "ping timeout",
  "client namespace disconnect",
  "server namespace disconnect",
  "server shutting down",
]);

/** Collects unhandled rejections and uncaught errors while installed (every runtime). */
export function watchUncaught(): { errors: unknown[]; stop(): void } {
  const errors: unknown[] = [];
  const onRejection = (reason: unknown) => errors.push(reason);
  const onEvent = (event: Event & { reason?: unknown; error?: unknown }) => {
    errors.push(event.reason ?? event.error);
    event.preventDefault();
  };
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onRejection);
  const target = globalThis as unknown as {
    addEventListener?: (t: string, f: (e: Event) => void) => void;
    removeEventListener?: (t: string, f: (e: Event) => void) => void;
  };
  target.addEventListener?.("unhandledrejection", onEvent);
  target.addEventListener?.("error", onEvent);
  return {
    errors,
    stop() {
      process.off("unhandledRejection", onRejection);
      process.off("uncaughtException", onRejection);
      target.removeEventListener?.("unhandledrejection", onEvent);
      target.removeEventListener?.("error", onEvent);
    },
  };
}
