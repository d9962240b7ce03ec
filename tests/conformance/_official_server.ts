/**
 * The conformance suite's app on the official socket.io 4.8 server (Node):
 * the servers of `conf_handlers.ts` attached to one `http.Server` on
 * 127.0.0.1, port 0. Prints `{"port":N}` once listening, like
 * `serve_fixture.ts`; exits when stdin ends (the parent died or let go).
 *
 * Usage: `node --import tsx tests/conformance/_official_server.ts`
 *
 * @module
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import process from "node:process";
import { Server, type ServerOptions } from "socket.io";
import * as msgpack from "socket.io-msgpack-parser";
import { CONF_SERVERS, type ConfServer } from "../_support/apps/conf_handlers.ts";

// what no server claims; the official engine leaves such requests to the other listeners
const http = createServer((_req, res) => {
  res.writeHead(404, { "content-type": "text/plain" });
  res.end("Not Found");
});
for (const { path, options, parser, setup } of CONF_SERVERS) {
  const withParser = parser ? { ...options, parser: msgpack } : options;
  const io = new Server(http, { path, ...withParser } as Partial<ServerOptions>);
  setup(io as unknown as ConfServer);
}
http.listen(0, "127.0.0.1", () => {
  const { port } = http.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ port }) + "\n");
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
