/**
 * Engine.IO at the wire level, sio-edge against the official server: the
 * handshake on both transports, the answers to polling requests, the error
 * codes 0–5 (HTTP and WebSocket upgrade), CORS, and the upgrade probe.
 */

import { ALLOWED_ORIGIN, MAIN_PATH } from "../_support/apps/conf_handlers.ts";
import { conformance, type Scenario } from "./_compare.ts";
import { FROM_A, jsonpConversation, main, seen, upgradeRequest } from "./_engine.ts";
import { rawExchange, request } from "./_http.ts";
import { after, delay, PollingConn, upTo, WsConn } from "./_wire.ts";

const handshakes: Scenario[] = [
  {
    name: "a polling handshake answers the open packet with CORS headers",
    async run(t, ids) {
      const answer = await request(`${main(t)}?EIO=4&transport=polling`, { headers: FROM_A });
      const sid = "error" in answer ? "" : JSON.parse(answer.body.slice(1)).sid;
      // on Cloudflare the sid starts with the id of its Durable Object (43 base64url characters)
      const shape = t.name === "workerd" ? /^[\w-]{63}$/ : /^[\w-]{20}$/;
      return { answer: seen(answer, ids), sidShape: shape.test(sid) };
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
    name: "a GET sent right after 5 (without waiting for an answer) is refused",
    async run(t, ids) {
      const polling = await PollingConn.open(ids, main(t));
      await polling.send("40");
      await polling.read(upTo("40"));
      const ws = await WsConn.open(ids, main(t), { sid: polling.sid });
      await ws.send("2probe");
      await ws.read(upTo("3probe"));
      await ws.send("5");
      const get = await request(polling.url);
      await ws.send('421["echo","over websocket"]');
      await ws.read(upTo("431"));
      await ws.end();
      return { get: seen(get), websocket: ws.log };
    },
  },
  {
    name: "a second WebSocket after the upgrade is accepted, then closed",
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
  },
];

/** A binary event in, its binary ack out (the attachment as base64 text, as the client sends it). */
async function binaryEcho(ws: WsConn): Promise<void> {
  await ws.send('451-1["echo",{"_placeholder":true,"num":0}]', "bAQID");
  await ws.read(after("461-1", 1));
}

// engine.io-client's `forceBase64` asks `b64=1`: the official server then sends binary over
// WebSocket as `b…` base64 text frames, on a fresh WebSocket session and after an upgrade
const base64: Scenario[] = [
  ...[{ b64: "1" }, {}].map((query): Scenario => ({
    name: query.b64
      ? "b64=1 on a WebSocket session: binary goes as base64 text frames"
      : "without b64 the same ack's attachment is a binary frame",
    async run(t, ids) {
      const ws = await WsConn.open(ids, main(t), { query });
      await ws.send("40");
      await ws.read(upTo("40"));
      await binaryEcho(ws);
      await ws.end();
      return ws.log;
    },
  })),
  {
    name: "b64=1 on an upgraded session: binary goes as base64 text frames",
    async run(t, ids) {
      const polling = await PollingConn.open(ids, main(t), { query: { b64: "1" } });
      const ws = await WsConn.open(ids, main(t), { sid: polling.sid, query: { b64: "1" } });
      await ws.send("2probe");
      await ws.read(upTo("3probe"));
      await ws.send("5", "40");
      await ws.read(upTo("40"));
      await binaryEcho(ws);
      await ws.end();
      return ws.log;
    },
  },
];

const jsonp: Scenario[] = [{
  name: "JSONP polling (j=): answers wrapped in ___eio[j](…), payloads posted as d=",
  run: (t, ids) =>
    jsonpConversation(`${main(t)}?EIO=4&transport=polling`, ids, (packets) => packets.join("\x1e")),
}];

conformance("engine conformance", [
  ...handshakes,
  ...errors,
  ...cors,
  ...upgrade,
  ...base64,
  ...jsonp,
]);
