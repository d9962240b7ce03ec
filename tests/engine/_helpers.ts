/**
 * Helpers for the in-process engine tests: requests, a handshake, a parked
 * poll whose settlement can be observed, and the closing check every test
 * ends with.
 *
 * @module
 */

import assert from "node:assert/strict";
import { EngineServer } from "../../src/engine/server.ts";
import type { EngineOptions } from "../../src/engine/options.ts";
import type { EngineSocket } from "../../src/engine/socket.ts";
import type { ConnectionError } from "../../src/engine/errors.ts";
import { FakeClock } from "../_support/fake_clock.ts";
import { FakeUpgrader, type FakeWebSocket } from "../_support/fake_websocket.ts";

/** The origin every test request uses. */
export const ORIGIN = "http://localhost";

/** An engine with a fake clock and a fake upgrader, plus what it emitted. */
export interface Harness {
  readonly engine: EngineServer;
  readonly clock: FakeClock;
  readonly upgrader: FakeUpgrader;
  /** Every `connection_error` the engine emitted. */
  readonly errors: ConnectionError[];
}

/** A new engine on a fake clock. */
export function setup(options: EngineOptions = {}): Harness {
  const clock = new FakeClock();
  const engine = new EngineServer({ clock, ...options });
  const errors: ConnectionError[] = [];
  engine.on("connection_error", (e) => errors.push(e));
  return { engine, clock, upgrader: new FakeUpgrader(), errors };
}

/** "engine.close() ends every session and every timer": the end of every test. */
export function finish(h: Harness): void {
  h.engine.close();
  assert.equal(h.engine.clientsCount, 0, "sessions left after engine.close()");
  assert.equal(h.clock.pending, 0, "timers left after engine.close()");
}

/** The engine URL with `query` (undefined values are left out). */
export function engineUrl(
  query: Record<string, string | undefined>,
  path = "/engine.io/",
): string {
  const url = new URL(path, ORIGIN);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, v);
  return url.href;
}

/** A polling request of session `sid`. */
export function pollingRequest(sid: string, init: RequestInit = {}): Request {
  return new Request(engineUrl({ EIO: "4", transport: "polling", sid }), init);
}

/** A WebSocket handshake or upgrade request (`sid` for an upgrade). */
export function wsRequest(sid?: string, headers: Record<string, string> = {}): Request {
  return new Request(engineUrl({ EIO: "4", transport: "websocket", sid }), {
    headers: { upgrade: "websocket", connection: "Upgrade", ...headers },
  });
}

/** The result of a polling handshake. */
export interface Session {
  readonly sid: string;
  readonly socket: EngineSocket;
  readonly open: Record<string, unknown>;
  readonly response: Response;
  /** The handshake answer's body. */
  readonly body: string;
}

/** Opens a polling session. */
export async function handshake(
  h: Harness,
  query: Record<string, string> = {},
  init: RequestInit = {},
): Promise<Session> {
  let socket: EngineSocket | undefined;
  const grab = (s: EngineSocket) => (socket = s);
  h.engine.on("connection", grab);
  const url = engineUrl({ EIO: "4", transport: "polling", ...query });
  const response = await h.engine.handle(new Request(url, init), h.upgrader.ctx);
  h.engine.off("connection", grab);
  const body = await response.text();
  assert.equal(response.status, 200, `handshake failed: ${body}`);
  assert.ok(socket, "no connection event");
  const open = JSON.parse(body.split("\x1e")[0]!.slice(1)) as Record<string, unknown>;
  return { sid: open.sid as string, socket, open, response, body };
}

/** A request in flight whose settlement a test can look at. */
export interface Pending {
  readonly promise: Promise<Response>;
  readonly settled: boolean;
  /** The body of the answer (awaits it). */
  text(): Promise<string>;
}

/** Sends a request to the engine without awaiting it. */
export function start(h: Harness, req: Request): Pending {
  let settled = false;
  const promise = h.engine.handle(req, h.upgrader.ctx);
  promise.then(() => (settled = true), () => (settled = true));
  return {
    promise,
    get settled() {
      return settled;
    },
    text: async () => (await promise).text(),
  };
}

/** A polling GET of `sid`, not awaited. */
export function poll(h: Harness, sid: string, init: RequestInit = {}): Pending {
  return start(h, pollingRequest(sid, init));
}

/** A polling POST of `payload` to `sid`. */
export function post(
  h: Harness,
  sid: string,
  payload: BodyInit,
  headers: Record<string, string> = {},
): Promise<Response> {
  const req = pollingRequest(sid, { method: "POST", body: payload, headers });
  return h.engine.handle(req, h.upgrader.ctx);
}

/** Lets pending promise chains run (microtasks only: no time passes). */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** Collects the `close` events of a socket as `[reason, description]`. */
export function closes(socket: EngineSocket): [string, unknown][] {
  const seen: [string, unknown][] = [];
  socket.on("close", (reason, description) => seen.push([reason, description]));
  return seen;
}

/** Upgrades a polling session to the fake WebSocket up to (not including) `5`. */
export async function probe(h: Harness, sid: string): Promise<FakeWebSocket> {
  const res = await h.engine.handle(wsRequest(sid), h.upgrader.ctx);
  assert.equal(res, h.upgrader.calls.at(-1)?.response, "upgrade not accepted");
  const ws = h.upgrader.open();
  h.upgrader.events.onMessage("2probe");
  assert.deepEqual(ws.take(), ["3probe"]);
  return ws;
}

/** The JSON error body of a refused request. */
export async function errorBody(res: Response): Promise<unknown> {
  assert.equal(res.headers.get("content-type"), "application/json");
  return JSON.parse(await res.text());
}

/** Sends `req` and checks the JSON refusal and the `connection_error` event. */
export async function refused(
  h: Harness,
  req: Request,
  expected: { status?: number; code: number; message: string },
): Promise<Record<string, unknown>> {
  const res = await h.engine.handle(req, h.upgrader.ctx);
  assert.equal(res.status, expected.status ?? 400);
  assert.deepEqual(await errorBody(res), { code: expected.code, message: expected.message });
  const event = h.errors.at(-1);
  assert.ok(event, "no connection_error");
  assert.equal(event.req, req);
  assert.equal(event.code, expected.code);
  return event.context;
}

/** Sends an upgrade `req` and checks the plain 400 refusal; returns the context. */
export async function upgradeRefused(
  h: Harness,
  req: Request,
  message: string,
  code: number,
): Promise<Record<string, unknown>> {
  const res = await h.engine.handle(req, h.upgrader.ctx);
  assert.equal(res.status, 400);
  assert.equal(await res.text(), message);
  assert.equal(h.upgrader.calls.length, 0, "the upgrader must not run");
  assert.equal(h.errors.at(-1)?.code, code);
  return h.errors.at(-1)!.context;
}
