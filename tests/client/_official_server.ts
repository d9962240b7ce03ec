/**
 * The official socket.io 4.8 server with the client suite's handlers, for
 * `tests/client/`: 127.0.0.1, port `SIO_PORT` or 0. Prints `{"port":N}`
 * once listening; exits when stdin ends.
 *
 * Usage: `node --import tsx tests/client/_official_server.ts`
 *
 * @module
 */

import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import process from "node:process";
import { Server } from "socket.io";
import { type HandlerServer, SERVER_OPTIONS, setupClientHandlers } from "./_handlers.ts";

const http = createServer();
const io = new Server(http, SERVER_OPTIONS);
setupClientHandlers(io as unknown as HandlerServer);
http.listen(Number(process.env.SIO_PORT ?? 0), "127.0.0.1", () => {
  const { port } = http.address() as AddressInfo;
  process.stdout.write(JSON.stringify({ port }) + "\n");
});
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
