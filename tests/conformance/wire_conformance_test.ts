/**
 * What a runtime's glue puts on the wire around the engine, sio-edge against
 * the official server: `Connection: close` answered in kind, the headers of
 * `initial_headers`/`headers` listeners (and the session cookie) on every
 * kind of handshake, and a WebSocket that comes for a session that has one
 * already.
 */

import { request as httpRequest } from "node:http";
import { connect } from "node:net";
import { COOKIE_PATH, MAIN_PATH } from "../_support/apps/conf_handlers.ts";
import { conformance, replaceIn, type Scenario } from "./_compare.ts";
import { main, upgradeRequest } from "./_engine.ts";
import { rawExchange, request } from "./_http.ts";
import type { Ids } from "./_ids.ts";
import { PollingConn, SEP, upTo, WsConn } from "./_wire.ts";

/** One answer of a Node HTTP client: status, its `connection` header, body. */
interface NodeAnswer {
  status: number;
  connection: string | null;
  body: string;
}

/** A request by `node:http` with `Connection: close` (as node-fetch sends it). */
function closingRequest(url: string, method = "GET", body = ""): Promise<NodeAnswer | string> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { method, headers: { connection: "close" } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        clearTimeout(timer);
        const connection = res.headers.connection ?? null;
        resolve({ status: res.statusCode ?? 0, connection, body: text });
      });
    });
    const timer = setTimeout(() => req.destroy(new Error("timeout")), 5_000);
    req.on("error", (err) => {
      clearTimeout(timer);
      resolve(`<error ${err.message}>`);
    });
    req.end(body);
  });
}

/** The headers named in `names` of a raw answer's head, lower-cased, in a stable order. */
function rawHeaders(port: number, head: string, names: readonly string[]): Promise<unknown> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    const finish = (why: string) => {
      clearTimeout(timer);
      socket.destroy();
      const end = data.indexOf("\r\n\r\n");
      if (end === -1) return resolve(`<${why}: ${data}>`);
      const [status, ...lines] = data.slice(0, end).split("\r\n");
      const out: Record<string, string[]> = {};
      for (const line of lines) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim().toLowerCase();
        if (!names.includes(name)) continue;
        (out[name] ??= []).push(line.slice(colon + 1).trim());
      }
      resolve({ status: Number(status!.split(" ")[1]), headers: out });
    };
    const timer = setTimeout(() => finish("timeout"), 3_000);
    socket.setEncoding("latin1");
    socket.on("connect", () => socket.write(head));
    socket.on("data", (chunk: string) => {
      data += chunk;
      if (data.includes("\r\n\r\n")) finish("done");
    });
    socket.on("error", () => finish("error"));
    socket.on("close", () => finish("closed"));
  });
}

const EXTRA = ["set-cookie", "x-initial", "x-every"];
const cookiePath = `${COOKIE_PATH}/`;

/** The sid of a polling handshake `answer`, recorded in `ids`. */
function sidOf(answer: NodeAnswer | string, ids: Ids): string {
  if (typeof answer === "string") throw new Error(`handshake failed: ${answer}`);
  ids.scan(answer.body.split(SEP)[0]!);
  return JSON.parse(answer.body.split(SEP)[0]!.slice(1)).sid;
}

const scenarios: Scenario[] = [
  {
    name: "every answer to a request with Connection: close says Connection: close",
    async run(t, ids) {
      const base = `${main(t)}?EIO=4&transport=polling`;
      const handshake = await closingRequest(base);
      const url = `${base}&sid=${sidOf(handshake, ids)}`;
      const out: unknown[] = [handshake];
      out.push(await closingRequest(url, "POST", "40"));
      const connected = await closingRequest(url);
      if (typeof connected !== "string") ids.scan(connected.body);
      out.push(connected);
      for (let i = 0; i < 3; i++) {
        out.push(await closingRequest(url, "POST", `42${i}["echo",${i}]`));
        out.push(await closingRequest(url));
      }
      return out;
    },
    // in workerd the connection belongs to the runtime's HTTP server, which
    // answers without the header (every answer still arrives: nothing hangs up)
    edge: (official, runtime) =>
      runtime === "workerd"
        ? replaceIn(official, '"connection":"close"', '"connection":null')
        : official,
  },
  {
    name: "header listeners (and the cookie) reach every kind of handshake answer",
    async run(t, ids) {
      const polling = await PollingConn.open(ids, `${t.url}${cookiePath}`);
      const pollingHeaders: Record<string, string | null> = {};
      for (const name of EXTRA) pollingHeaders[name] = polling.handshake.headers.get(name);
      const noop = await request(polling.url, { method: "POST", body: "6" });
      const upgrade = await rawHeaders(
        t.port,
        upgradeRequest(`${cookiePath}?EIO=4&transport=websocket&sid=${polling.sid}`),
        EXTRA,
      );
      const wsFirst = await rawHeaders(
        t.port,
        upgradeRequest(`${cookiePath}?EIO=4&transport=websocket`),
        EXTRA,
      );
      return {
        pollingHeaders,
        post: "error" in noop ? noop : noop.headers.get("x-every"),
        upgrade,
        wsFirst,
      };
    },
  },
  {
    name: "a second WebSocket while the first is probing is accepted, then closed",
    async run(t, ids) {
      const polling = await PollingConn.open(ids, main(t));
      const ws = await WsConn.open(ids, main(t), { sid: polling.sid });
      await ws.send("2probe");
      await ws.read(upTo("3probe"));
      const again = await rawExchange(
        t.port,
        upgradeRequest(`${MAIN_PATH}/?EIO=4&transport=websocket&sid=${polling.sid}`),
      );
      await ws.send("5", "40");
      await ws.read(upTo("40"));
      await ws.end();
      return { ws: ws.log, again };
    },
  },
];

conformance("runtime glue conformance", scenarios);
