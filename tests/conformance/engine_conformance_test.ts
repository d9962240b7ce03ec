/**
 * Engine.IO at the wire level, sio-edge against the official server: the
 * handshake on both transports, the answers to polling requests, the error
 * codes 0–5 (HTTP and WebSocket upgrade), CORS, the upgrade probe, faults
 * of the client, and the served browser client.
 */

import { ALLOWED_ORIGIN, MAIN_PATH } from "../_support/apps/conf_handlers.ts";
import { conformance, type Scenario } from "./_compare.ts";
import type { Target } from "./_targets.ts";
import {
  delay,
  type HttpAnswer,
  type Ids,
  type NetworkError,
  pickHeaders,
  PollingConn,
  rawExchange,
  request,
  SEP,
  upTo,
  WsConn,
} from "./_wire.ts";

const main = (t: Target) => `${t.url}${MAIN_PATH}/`;
const FROM_A = { origin: ALLOWED_ORIGIN };

/** The headers whose presence and value the official server's answers fix. */
const HEADERS = [
  "content-type",
  "cache-control",
  "access-control-allow-origin",
  "access-control-allow-credentials",
  "access-control-allow-methods",
  "access-control-allow-headers",
  "access-control-expose-headers",
  "vary",
];

function seen(answer: HttpAnswer | NetworkError, ids?: Ids): unknown {
  if ("error" in answer) return answer;
  if (ids && answer.body.startsWith("0{")) ids.scan(answer.body.split(SEP)[0]!);
  return { status: answer.status, headers: pickHeaders(answer, HEADERS), body: answer.body };
}

const handshakes: Scenario[] = [
  {
    name: "a polling handshake answers the open packet with CORS headers",
    async run(t, ids) {
      const answer = await request(`${main(t)}?EIO=4&transport=polling`, { headers: FROM_A });
      const sid = "error" in answer ? "" : JSON.parse(answer.body.slice(1)).sid;
      return { answer: seen(answer, ids), sidShape: /^[\w-]{20}$/.test(sid) };
    },
  },
  {
    name: "a WebSocket handshake sends the open packet without upgrades",
    async run(t, ids) {
      const conn = await WsConn.open(ids, main(t));
      await conn.end();
      return conn.opened;
    },
  },
  {
    name: "polling GET and POST answer with their content types",
    async run(t, ids) {
      const conn = await PollingConn.open(ids, main(t), { headers: FROM_A });
      const post = await request(conn.url, { method: "POST", body: "40", headers: FROM_A });
      const get = await request(conn.url, { headers: FROM_A });
      ids.scan("error" in get ? "" : get.body);
      return { handshake: seen(conn.handshake), post: seen(post), get: seen(get) };
    },
  },
];

/** Requests the engine refuses, by query (and method). */
const REFUSED: [string, string, RequestInit?][] = [
  ["unknown transport", "?EIO=4&transport=carrier-pigeon"],
  ["no transport", "?EIO=4"],
  ["unknown sid", "?EIO=4&transport=polling&sid=nope"],
  ["a handshake by POST", "?EIO=4&transport=polling", { method: "POST", body: "40" }],
  ["a handshake by PUT", "?EIO=4&transport=polling", { method: "PUT", body: "40" }],
  ["transport=websocket without upgrade", "?EIO=4&transport=websocket"],
  ["allowRequest refusing", "?EIO=4&transport=polling&forbidden=1"],
  ["allowRequest refusing with a message", "?EIO=4&transport=polling&forbidden=2"],
  ["EIO=3", "?EIO=3&transport=polling"],
  ["no EIO", "?transport=polling"],
  ["EIO=5", "?EIO=5&transport=polling"],
];

function upgradeRequest(path: string, extra = ""): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;
}

const errors: Scenario[] = [
  {
    name: "refused HTTP requests answer the error codes 0-5 as JSON",
    async run(t) {
      const out: Record<string, unknown> = {};
      for (const [what, query, init] of REFUSED) {
        const headers = { ...FROM_A, ...(init?.headers as Record<string, string> | undefined) };
        out[what] = seen(await request(`${main(t)}${query}`, { ...init, headers }));
      }
      return out;
    },
  },
  {
    name: "requests that do not fit the session are refused",
    async run(t, ids) {
      const conn = await PollingConn.open(ids, main(t));
      const mismatch = await request(`${main(t)}?EIO=4&transport=websocket&sid=${conn.sid}`, {
        headers: FROM_A,
      });
      const put = await request(conn.url, { method: "PUT", body: "x", headers: FROM_A });
      const alive = await conn.send("6");
      return { mismatch: seen(mismatch), put: seen(put), noop: seen(alive) };
    },
  },
  {
    name: "refused WebSocket upgrades answer 400 with the message as text",
    async run(t, ids) {
      const conn = await PollingConn.open(ids, main(t));
      const path = `${MAIN_PATH}/`;
      const cases: Record<string, string> = {
        "unknown sid": upgradeRequest(`${path}?EIO=4&transport=websocket&sid=nope`),
        "unknown transport": upgradeRequest(`${path}?EIO=4&transport=carrier-pigeon`),
        "EIO=3": upgradeRequest(`${path}?EIO=3&transport=websocket`),
        "allowRequest refusing": upgradeRequest(`${path}?EIO=4&transport=websocket&forbidden=1`),
        "sid with transport=polling": upgradeRequest(
          `${path}?EIO=4&transport=polling&sid=${conn.sid}`,
        ),
      };
      const out: Record<string, unknown> = {};
      for (const [what, raw] of Object.entries(cases)) out[what] = await rawExchange(t.port, raw);
      return out;
    },
    // The official server checks the protocol version and the transport's
    // ability to upgrade only after it has completed the WebSocket handshake:
    // it answers 101, then writes an HTTP 400 into the upgraded socket (EIO=3)
    // or closes it at once (transport=polling). sio-edge refuses both before
    // upgrading, with the same 400 text the other refusals get.
    edge: (official) => ({
      ...official as Record<string, unknown>,
      "EIO=3": { status: 400, type: "text/html", body: "Unsupported protocol version" },
      "sid with transport=polling": { status: 400, type: "text/html", body: "Bad request" },
    }),
  },
];

const cors: Scenario[] = [
  {
    name: "a CORS preflight is answered 204 with the allowed origin and credentials",
    async run(t, ids) {
      const conn = await PollingConn.open(ids, main(t));
      const preflight = (origin: string, url: string) =>
        request(url, {
          method: "OPTIONS",
          headers: {
            origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type,x-custom",
          },
        });
      return {
        handshake: seen(await preflight(ALLOWED_ORIGIN, `${main(t)}?EIO=4&transport=polling`)),
        session: seen(await preflight(ALLOWED_ORIGIN, conn.url)),
        otherOrigin: seen(await preflight("http://b.test", `${main(t)}?EIO=4&transport=polling`)),
      };
    },
  },
  {
    name: "answers to another origin still name the allowed one",
    async run(t, ids) {
      const answer = await request(`${main(t)}?EIO=4&transport=polling`, {
        headers: { origin: "http://b.test" },
      });
      return seen(answer, ids);
    },
  },
];

const upgrade: Scenario[] = [
  {
    name: "the upgrade probe runs 2probe, 3probe, a noop to the parked GET, then 5",
    async run(t, ids) {
      const polling = await PollingConn.open(ids, main(t));
      await polling.send("40");
      await polling.read(upTo("40"));
      const parked = polling.poll();
      await delay(50); // let the GET park before the probe
      const ws = await WsConn.open(ids, main(t), { sid: polling.sid });
      await ws.send("2probe");
      await ws.read(upTo("3probe"));
      const nudge = await parked;
      await ws.send("5", '421["echo","over websocket"]');
      await ws.read(upTo("431"));
      const afterUpgrade = await request(polling.url);
      await ws.end();
      return {
        polling: polling.log,
        nudge,
        websocket: ws.log,
        pollingAfterUpgrade: seen(afterUpgrade),
      };
    },
  },
  {
    name: "a second upgrade of an upgraded session is refused",
    async run(t, ids) {
      const polling = await PollingConn.open(ids, main(t));
      const ws = await WsConn.open(ids, main(t), { sid: polling.sid });
      await ws.send("2probe");
      await ws.read(upTo("3probe"));
      await ws.send("5");
      await ws.send("40");
      await ws.read(upTo("40"));
      const again = await rawExchange(
        t.port,
        upgradeRequest(`${MAIN_PATH}/?EIO=4&transport=websocket&sid=${polling.sid}`),
      );
      await ws.end();
      return { ws: ws.log, again };
    },
    // The official server completes the WebSocket handshake (101) and closes
    // the new socket at once; sio-edge refuses the upgrade with 400, which
    // ends the attempt as surely and without a socket to tear down.
    edge: (official) => ({
      ...official as Record<string, unknown>,
      again: { status: 400, type: "text/html", body: "Bad request" },
    }),
  },
];

const faults: Scenario[] = [
  {
    name: "a client ping over polling closes the session (invalid heartbeat direction)",
    async run(t, ids) {
      const conn = await PollingConn.open(ids, main(t));
      await conn.send("2");
      await conn.read((p) => p.length > 0);
      return conn.log;
    },
  },
  {
    name: "an unknown engine packet type over polling closes the session",
    async run(t, ids) {
      const conn = await PollingConn.open(ids, main(t));
      await conn.send("9");
      await conn.read((p) => p.length > 0);
      return conn.log;
    },
  },
  {
    name: "a close packet over polling ends the session",
    async run(t, ids) {
      const conn = await PollingConn.open(ids, main(t));
      await conn.send("40");
      await conn.read(upTo("40"));
      await conn.send("1");
      await conn.read((p) => p.length > 0);
      return conn.log;
    },
  },
  {
    name: "a binary POST body is refused with 400 and ends the session",
    async run(t, ids) {
      const conn = await PollingConn.open(ids, main(t));
      const answer = await request(conn.url, {
        method: "POST",
        body: new Uint8Array([0x34, 0x32]),
        headers: { "content-type": "application/octet-stream" },
      });
      const next = await conn.poll();
      return { answer: seen(answer), next };
    },
  },
  {
    name: "two parked GETs at once close the session",
    async run(t, ids) {
      const conn = await PollingConn.open(ids, main(t));
      const first = conn.poll();
      await delay(50); // the first GET must be parked before the second arrives
      const second = await conn.poll();
      return { first: await first, second };
    },
  },
  {
    name: "an unknown engine packet type over WebSocket closes the socket",
    async run(t, ids) {
      const conn = await WsConn.open(ids, main(t));
      await conn.send("9");
      await conn.read(upTo("<close"));
      return conn.log;
    },
  },
];

const CLIENT_FILES = [
  "socket.io.js",
  "socket.io.min.js",
  "socket.io.esm.min.js",
  "socket.io.js.map",
  "socket.io.min.js.map",
  "socket.io.msgpack.min.js",
];

const client: Scenario[] = [
  {
    name: "serveClient answers the client files with an ETag and 304 on a match",
    async run(t) {
      const out: Record<string, unknown> = {};
      for (const file of CLIENT_FILES) {
        const url = `${t.url}${MAIN_PATH}/${file}`;
        const plain = await request(url, { headers: { ...FROM_A, "accept-encoding": "identity" } });
        if ("error" in plain) {
          out[file] = plain;
          continue;
        }
        const etag = plain.headers.get("etag");
        const again = etag === null
          ? undefined
          : await request(url, { headers: { "if-none-match": etag, ...FROM_A } });
        const gzip = await request(url, { headers: { "accept-encoding": "gzip" } });
        out[file] = {
          status: plain.status,
          headers: pickHeaders(plain, HEADERS),
          etag: etag !== null,
          notModified: again && !("error" in again) ? again.status : null,
          gzip: "error" in gzip ? gzip : gzip.headers.get("content-encoding"),
        };
      }
      return out;
    },
    edge: (official) => {
      const out = structuredClone(official) as Record<string, { headers: { vary?: string } }>;
      for (const file of Object.values(out)) {
        // sio-edge compresses the same files and says so: a cache must keep
        // the gzip and the plain answer apart (RFC 9110 §12.5.5); the official
        // server omits Accept-Encoding from Vary
        file.headers.vary = `Accept-Encoding, ${file.headers.vary}`;
      }
      // sio-edge has no msgpack parser, so it does not serve the msgpack
      // build of the client: the request reaches the engine, which refuses it
      return {
        ...out,
        "socket.io.msgpack.min.js": {
          status: 400,
          headers: {
            "content-type": "application/json",
            "access-control-allow-origin": ALLOWED_ORIGIN,
            "access-control-allow-credentials": "true",
            vary: "Origin",
          },
          etag: false,
          notModified: null,
          gzip: null,
        },
      };
    },
  },
];

conformance("engine conformance", [
  ...handshakes,
  ...errors,
  ...cors,
  ...upgrade,
  ...faults,
  ...client,
]);
