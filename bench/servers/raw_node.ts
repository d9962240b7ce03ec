/**
 * The limit on Node: `node:http` + `ws` (the WebSocket library the official
 * server uses) with the benchmark app on plain frames. `e<rest>` is answered
 * `a<rest>`; `b<rest>` is sent as `m<rest>` to every open socket in a loop.
 * Raw long-polling (`_raw_polling.ts`) on `/poll`.
 *
 * @module
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer } from "ws";
import { control } from "./_control.ts";
import { RawPolling, rawPollSid } from "./_raw_polling.ts";

const polling = new RawPolling();

const http = createServer((req, res) => {
  const sid = rawPollSid(req.url ?? "");
  if (sid === undefined) return void res.end("raw node");
  if (req.method === "GET") {
    const answer = polling.get(sid);
    if (typeof answer === "string") res.end(answer);
    else void answer.then((text) => res.end(text));
    return;
  }
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (chunk: string) => body += chunk);
  req.on("end", () => {
    polling.post(sid, body);
    res.end("ok");
  });
});
const wss = new WebSocketServer({ server: http, perMessageDeflate: false });

wss.on("connection", (socket) => {
  socket.on("message", (data, isBinary) => {
    const text = isBinary ? "" : data.toString();
    if (text[0] === "e") socket.send("a" + text.slice(1));
    else if (text[0] === "b") {
      const frame = "m" + text.slice(1);
      for (const peer of wss.clients) {
        if (peer.readyState === WebSocket.OPEN) peer.send(frame);
      }
    }
  });
});

http.listen(0, "127.0.0.1", () => control((http.address() as AddressInfo).port));
