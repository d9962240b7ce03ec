/**
 * The conformance suite's app on sio-edge: the servers of
 * `conf_handlers.ts`, each a Socket.IO `Server`, behind one fetch app that
 * routes by path (the official script attaches the same servers to one
 * `http.Server`).
 *
 * @module
 */

import type { FetchApp } from "../../../src/engine/ports.ts";
import { Server, type ServerOptions } from "../../../src/socket/server.ts";
import * as msgpack from "../../../src/parser/msgpack_parser.ts";
import { CONF_SERVERS, type ConfServer } from "./conf_handlers.ts";

/** Makes the app. */
export default function makeConfApp(): FetchApp {
  const servers = CONF_SERVERS.map(({ path, options, parser, setup }) => {
    const io = new Server(
      { path, ...options, ...(parser ? { parser: msgpack } : {}) } as ServerOptions,
    );
    setup(io as unknown as ConfServer);
    return io;
  });
  const main = servers[0]!;
  return {
    maxPayload: Math.max(...servers.map((io) => io.maxPayload)),
    perMessageDeflate: servers.some((io) => io.perMessageDeflate),
    async close() {
      await Promise.all(servers.map((io) => io.close()));
    },
    async handle(req, ctx) {
      const { pathname } = new URL(req.url);
      const io = servers.find((s) => pathname.startsWith(s.path() + "/")) ?? main;
      return await io.handle(req, ctx);
    },
  };
}
