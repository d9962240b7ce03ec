/**
 * sio-edge running the benchmark app on whichever runtime runs this file
 * (Bun, Deno, or Node through tsx), served by that runtime's glue.
 *
 * @module
 */

import { Server } from "../../src/socket/server.ts";
import type { FetchApp } from "../../src/engine/ports.ts";
import type { Served, ServeOptions } from "../../src/runtime/glue.ts";
import { control, ROOM } from "./_control.ts";

type ServeFn = (app: FetchApp, options: ServeOptions) => Promise<Served>;

function _glue(): Promise<{ serve: ServeFn }> {
  const g = globalThis as { Bun?: unknown; Deno?: unknown };
  if (g.Bun) return import("../../src/runtime/bun.ts");
  if (g.Deno) return import("../../src/runtime/deno.ts");
  return import("../../src/runtime/node.ts");
}

const io = new Server();

io.on("connection", (socket) => {
  socket.join(ROOM);
  socket.on("echo", (arg: unknown, ack: (arg: unknown) => void) => ack(arg));
  socket.on("bcast", (arg: unknown) => io.to(ROOM).emit("msg", arg));
});

const { serve } = await _glue();
const served = await serve(io, { port: 0, hostname: "127.0.0.1" });
control(served.port);
