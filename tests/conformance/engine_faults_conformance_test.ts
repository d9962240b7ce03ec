/**
 * Engine.IO faults and limits at the wire level, sio-edge against the
 * official server: packets a client may not send, bodies and messages over
 * `maxHttpBufferSize`, compression of polling answers, and the browser
 * client files that `serveClient` serves.
 */

import { request as httpRequest } from "node:http";
import { Buffer } from "node:buffer";
import { gunzipSync, inflateSync } from "node:zlib";
import { conformance, type Scenario } from "./_compare.ts";
import { FROM_A, HEADERS, main, seen } from "./_engine.ts";
import { pickHeaders, request } from "./_http.ts";
import { ALLOWED_ORIGIN, MAIN_PATH } from "../_support/apps/conf_handlers.ts";
import { delay, PollingConn, upTo, WsConn } from "./_wire.ts";

/** A GET accepting `coding`, its body inflated once as its content-encoding says. */
function rawGet(url: string, coding: "gzip" | "deflate"): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { headers: { "accept-encoding": coding } }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on("data", (chunk: Uint8Array) => chunks.push(chunk));
      res.on("end", () => {
        clearTimeout(timer);
        const encoding = res.headers["content-encoding"] ?? null;
        const bytes = Buffer.concat(chunks);
        let body: string;
        try {
          const inflate = encoding === "gzip"
            ? gunzipSync
            : encoding === "deflate"
            ? inflateSync
            : undefined;
          body = (inflate ? inflate(bytes) : bytes).toString("utf8");
        } catch (err) {
          body = `<does not inflate: ${(err as Error).message}>`;
        }
        resolve({ status: res.statusCode, encoding, body });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error("timeout")), 5_000);
    req.on("error", (err) => resolve({ error: err.message }));
    req.end();
  });
}

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

const limits: Scenario[] = [
  {
    name: "a polling answer of 1 KB or more is compressed for a client that accepts gzip",
    async run(t, ids) {
      const conn = await PollingConn.open(ids, main(t));
      await conn.send("40");
      await conn.read(upTo("40"));
      const big = "x".repeat(3_000);
      const encodings: Record<string, string | null> = {};
      for (const [what, text] of [["small", "x"], ["big", big]]) {
        await conn.send(`42${JSON.stringify(["emit-back", text])}`);
        const answer = await request(conn.url, { headers: { "accept-encoding": "gzip" } });
        encodings[what!] = "error" in answer ? "error" : answer.headers.get("content-encoding");
      }
      return encodings;
    },
    // in front of a Worker, the platform (Miniflare, as Cloudflare's edge)
    // compresses every text answer for a client that accepts gzip, however small
    edge: (official, runtime) =>
      runtime === "workerd" ? { ...official as object, small: "gzip" } : official,
  },
  {
    // a body compressed twice (reported once through workerd, whose runtime
    // compresses a body with Content-Encoding unless told it already is)
    // would inflate to gzip bytes, not to the packet; the bytes are read as
    // sent (node:http decodes nothing) and inflated once here
    name: "a compressed polling answer inflates, once, to the packets",
    async run(t, ids) {
      const conn = await PollingConn.open(ids, main(t));
      await conn.send("40");
      await conn.read(upTo("40"));
      const out: Record<string, unknown> = {};
      for (const coding of ["gzip", "deflate"] as const) {
        const text = coding.repeat(600);
        await conn.send(`42${JSON.stringify(["emit-back", text])}`);
        const answer = await rawGet(conn.url, coding);
        const packet = `42${JSON.stringify(["echo", text])}`;
        out[coding] = { ...answer, body: answer.body === packet ? "the packet" : answer.body };
      }
      return out;
    },
    // workerd passes a gzip body on as it is (`encodeBody: "manual"`), but
    // hands a deflate one to the client inflated, without Content-Encoding
    edge: (official, runtime) => {
      if (runtime !== "workerd") return official;
      const out = structuredClone(official) as Record<string, { encoding: unknown }>;
      out.deflate!.encoding = null;
      return out;
    },
  },
  {
    name: "a POST over maxHttpBufferSize is refused with 413",
    async run(t, ids) {
      const conn = await PollingConn.open(ids, main(t));
      const answer = await request(conn.url, {
        method: "POST",
        body: "4" + "x".repeat(1_000_000),
        // its connection is not reused: a server that answers before reading the whole
        // body closes it (workerd does), and Bun's fetch would send the next POST on it
        headers: { ...FROM_A, connection: "close" },
      });
      // the session lives on: a CONNECT still gets its answer
      await conn.send("40");
      await conn.read((p) => p.length > 0);
      return { answer: seen(answer), after: conn.log };
    },
  },
  {
    name: "a WebSocket message over maxHttpBufferSize closes the socket with 1009",
    async run(t, ids) {
      const conn = await WsConn.open(ids, main(t));
      await conn.send("4" + "x".repeat(1_000_000));
      await conn.read(upTo("<close"));
      return conn.log.map((line) => line.length > 40 ? line.slice(0, 40) + "…" : line);
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
    edge: (official, runtime) => {
      const out = structuredClone(official) as Record<string, { headers: { vary?: string } }>;
      for (const file of Object.values(out)) {
        // sio-edge compresses the same files and says so: a cache must keep
        // the gzip and the plain answer apart (RFC 9110 §12.5.5); the official
        // server omits Accept-Encoding from Vary
        file.headers.vary = `Accept-Encoding, ${file.headers.vary}`;
      }
      // sio-edge has no msgpack parser, so it does not serve the msgpack
      // build of the client: the request reaches the engine, which refuses it
      // (and in front of a Worker, the platform gzips that JSON answer too)
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
          gzip: runtime === "workerd" ? "gzip" : null,
        },
      };
    },
  },
];

conformance("engine faults and limits conformance", [...faults, ...limits, ...client]);
