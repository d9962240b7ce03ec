/**
 * Two Engine.IO servers that echo every message, for the end-to-end suites:
 * the main one at `/engine.io/` (options from the environment) and a fast
 * one at `/fast/` (pingInterval 300 ms, pingTimeout 200 ms) for heartbeat
 * tests. `GET /events` answers what the servers saw, as JSON: every
 * connection and close, with sid, transport and reason.
 *
 * Environment: `SIO_PING_INTERVAL`, `SIO_PING_TIMEOUT`,
 * `SIO_UPGRADE_TIMEOUT`, `SIO_MAX_HTTP_BUFFER_SIZE` (numbers).
 *
 * @module
 */

import process from "node:process";
import { EngineServer } from "../../../src/engine/server.ts";
import type { EngineOptions } from "../../../src/engine/options.ts";
import type { FetchApp, RequestContext } from "../../../src/engine/ports.ts";

/** What `GET /events` lists. */
export type EngineEvent =
  | { engine: string; sid: string; event: "connection"; transport: string; remoteAddress: string }
  | { engine: string; sid: string; event: "close"; reason: string; description: string };

function _envOptions(): EngineOptions {
  const options: EngineOptions = {};
  const number = (name: string) => {
    const value = process.env[name];
    return value === undefined ? undefined : Number(value);
  };
  const pingInterval = number("SIO_PING_INTERVAL");
  const pingTimeout = number("SIO_PING_TIMEOUT");
  const upgradeTimeout = number("SIO_UPGRADE_TIMEOUT");
  const maxHttpBufferSize = number("SIO_MAX_HTTP_BUFFER_SIZE");
  if (pingInterval !== undefined) options.pingInterval = pingInterval;
  if (pingTimeout !== undefined) options.pingTimeout = pingTimeout;
  if (upgradeTimeout !== undefined) options.upgradeTimeout = upgradeTimeout;
  if (maxHttpBufferSize !== undefined) options.maxHttpBufferSize = maxHttpBufferSize;
  return options;
}

/** Makes the app. */
export default function makeEngineEchoApp(): FetchApp {
  const events: EngineEvent[] = [];
  const echo = (name: string, engine: EngineServer) => {
    engine.on("connection", (socket) => {
      events.push({
        engine: name,
        sid: socket.id,
        event: "connection",
        transport: socket.transport.name,
        remoteAddress: socket.remoteAddress,
      });
      socket.on("message", (data) => socket.send(data));
      socket.on("close", (reason, description) =>
        events.push({
          engine: name,
          sid: socket.id,
          event: "close",
          reason,
          description: description instanceof Error
            ? description.message
            : String(description ?? ""),
        }));
    });
    return engine;
  };
  const main = echo("main", new EngineServer(_envOptions()));
  const fast = echo(
    "fast",
    new EngineServer({ path: "/fast/", pingInterval: 300, pingTimeout: 200 }),
  );

  return {
    maxPayload: Math.max(main.maxPayload, fast.maxPayload),
    handle(req: Request, ctx?: RequestContext): Promise<Response> {
      const url = new URL(req.url);
      if (url.pathname === "/events") return Promise.resolve(Response.json(events));
      return (fast.matches(url) ? fast : main).handle(req, ctx);
    },
    close() {
      main.close();
      fast.close();
    },
  };
}
