/**
 * Recognises what a runtime passes to a fetch handler, so that
 * `Deno.serve(engine.handler())` works as is — including WebSocket upgrades.
 *
 * `Deno.serve` hands the handler no upgrade function, so the only way to
 * upgrade from a bare handler is the runtime namespace's `upgradeWebSocket`,
 * which this probe takes from util/host.ts (the one look at the host's
 * globals). Runtime modules (`sio-edge/deno`, …) pass an explicit
 * {@link RequestContext} and never reach this probe.
 *
 * @module
 */

import { denoUpgradeWebSocket } from "../util/host.ts";
import type { RequestContext, Upgrader, WebSocketLike } from "./ports.ts";

interface UpgradableSocket extends WebSocketLike {
  binaryType: string;
  onopen: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

type UpgradeWebSocket = (req: Request) => { socket: UpgradableSocket; response: Response };

type BunServerLike = { requestIP(req: Request): { address?: unknown } | null };

/** Builds a request context from a fetch handler's extra arguments. */
export function contextFromArgs(req: Request, args: readonly unknown[]): RequestContext {
  const first = args[0] as Record<string, unknown> | undefined;
  if (first && typeof first === "object" && typeof first.requestIP === "function") {
    // Bun's server: its `upgrade(req, options)` answers a boolean and needs the
    // `websocket` handlers of sio-edge/bun, so it is no RequestContext upgrader
    const ip = (first as BunServerLike).requestIP(req)?.address;
    return typeof ip === "string" ? { remoteAddress: ip } : {};
  }
  if (first && typeof first === "object" && ("upgrade" in first || "remoteAddress" in first)) {
    // an explicit RequestContext, e.g. from a runtime module or an integration
    const explicit = first as RequestContext;
    if (typeof explicit.upgrade === "function" || typeof explicit.remoteAddress === "string") {
      return explicit;
    }
  }
  const remoteAddr = first?.remoteAddr as { hostname?: unknown } | undefined;
  const ctx: RequestContext = {};
  if (typeof remoteAddr?.hostname === "string") ctx.remoteAddress = remoteAddr.hostname;
  const upgrade = globalUpgrader();
  if (upgrade) ctx.upgrade = upgrade;
  return ctx;
}

let cached: Upgrader | null | undefined;

function globalUpgrader(): Upgrader | undefined {
  if (cached !== undefined) return cached ?? undefined;
  const upgradeWebSocket = denoUpgradeWebSocket() as UpgradeWebSocket | undefined;
  cached = typeof upgradeWebSocket === "function"
    ? (req, events) => {
      const { socket, response } = upgradeWebSocket(req);
      socket.binaryType = "arraybuffer";
      socket.onopen = () => events.onOpen(socket);
      socket.onmessage = (e) =>
        events.onMessage(
          typeof e.data === "string" ? e.data : new Uint8Array(e.data as ArrayBuffer),
        );
      socket.onerror = (e) => events.onError(e);
      socket.onclose = (e) => events.onClose(e.code, e.reason);
      return response;
    }
    : null;
  return cached ?? undefined;
}
