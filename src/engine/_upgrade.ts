/**
 * The server side of the upgrade from polling to WebSocket (Engine.IO
 * protocol v4, "Upgrade"): answer the `2probe` ping with `3probe`, nudge the
 * parked GET with noops until the client pauses polling, and switch on the
 * `5` upgrade packet — or give up after `upgradeTimeout`.
 *
 * @module
 */

import type { Clock, TimerHandle } from "../util/clock.ts";
import type { Packet } from "../parser/engine_packet.ts";
import type { EngineSocket } from "./socket.ts";
import type { Transport } from "./transport.ts";

/** How often a pending upgrade nudges a parked GET with a noop (official: 100 ms). */
const NUDGE_INTERVAL = 100;

/**
 * Watches `next` until the client completes or abandons the upgrade of
 * `session`; `switchTo` moves the session onto `next`.
 */
export function runUpgrade(
  session: EngineSocket,
  next: Transport,
  clock: Clock,
  upgradeTimeout: number,
  switchTo: (next: Transport) => void,
): void {
  session.upgrading = true;
  let nudgeTimer: TimerHandle | undefined;
  const nudge = () => {
    const current = session.transport;
    if (current.name === "polling" && current.writable) current.send([{ type: "noop" }]);
    nudgeTimer = clock.setTimeout(nudge, NUDGE_INTERVAL);
  };
  const cleanup = () => {
    session.upgrading = false;
    clock.clearTimeout(nudgeTimer);
    clock.clearTimeout(upgradeTimer);
    next.off("packet", onPacket).off("close", onFail).off("error", onFail);
    next.off("parseError", onFail);
    session.off("close", onFail);
  };
  const onFail = () => {
    cleanup();
    next.close();
  };
  const onPacket = (packet: Packet) => {
    if (packet.type === "ping" && packet.data === "probe") {
      next.send([{ type: "pong", data: "probe" }]);
      session.emit("upgrading", next);
      clock.clearTimeout(nudgeTimer);
      nudgeTimer = clock.setTimeout(nudge, NUDGE_INTERVAL);
    } else if (packet.type === "upgrade" && session.readyState !== "closed") {
      cleanup();
      switchTo(next);
    } else {
      onFail();
    }
  };
  const upgradeTimer = clock.setTimeout(onFail, upgradeTimeout);
  next.on("packet", onPacket).on("close", onFail).on("error", onFail).on("parseError", onFail);
  session.once("close", onFail);
}
