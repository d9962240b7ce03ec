/**
 * The server side of the upgrade from polling to WebSocket (Engine.IO
 * protocol v4, "Upgrade"): answer the `2probe` ping with `3probe`, nudge the
 * parked GET with noops until the client pauses polling, and switch on the
 * `5` upgrade packet — or give up after `upgradeTimeout`.
 *
 * See https://github.com/socketio/engine.io-protocol (v4, "Upgrade").
 *
 * @module
 */

import type { Clock, TimerHandle } from "../util/clock.ts";
import type { Packet } from "../parser/engine_packet.ts";
import type { Transport } from "./transport.ts";

/** How often a pending upgrade nudges a parked GET with a noop (official: 100 ms). */
const NUDGE_INTERVAL = 100;

/** What an upgrade needs of its session, and what it reports to it. */
export interface UpgradingSession {
  /** The transport the session runs on now (polling while the upgrade runs). */
  transport(): Transport;
  /** Whether the session has ended. */
  closed(): boolean;
  /** The client answered the probe: the upgrade is under way. */
  probed(next: Transport): void;
  /** The client sent the upgrade packet: the session moves onto `next`. */
  completed(next: Transport): void;
  /** The upgrade is over (completed or abandoned): the session forgets it. */
  ended(): void;
}

/** One upgrade in progress, held by its session until it completes or is abandoned. */
export class Upgrade {
  readonly #session: UpgradingSession;
  readonly #next: Transport;
  readonly #clock: Clock;
  readonly #upgradeTimer: TimerHandle;
  #nudgeTimer: TimerHandle | undefined;
  readonly #onPacket = (packet: Packet) => this.#packet(packet);
  readonly #onFail = () => this.abort();

  /** Watches `next` until the client completes or abandons the upgrade of `session`. */
  constructor(session: UpgradingSession, next: Transport, clock: Clock, upgradeTimeout: number) {
    this.#session = session;
    this.#next = next;
    this.#clock = clock;
    this.#upgradeTimer = clock.setTimeout(this.#onFail, upgradeTimeout);
    next.on("packet", this.#onPacket).on("close", this.#onFail).on("error", this.#onFail);
    next.on("parseError", this.#onFail);
  }

  /** Abandons the upgrade and closes the new transport (timeout, failure, or the session ended). */
  abort(): void {
    this.#end();
    this.#next.close();
  }

  #packet(packet: Packet): void {
    if (packet.type === "ping" && packet.data === "probe") {
      this.#next.send([{ type: "pong", data: "probe" }]);
      this.#session.probed(this.#next);
      this.#clock.clearTimeout(this.#nudgeTimer);
      this.#nudgeTimer = this.#clock.setTimeout(() => this.#nudge(), NUDGE_INTERVAL);
    } else if (packet.type === "upgrade" && !this.#session.closed()) {
      this.#end();
      this.#session.completed(this.#next);
    } else {
      this.abort();
    }
  }

  /** A noop on the parked GET, so the client sees its poll answered and pauses polling. */
  #nudge(): void {
    const current = this.#session.transport();
    // straight onto the polling transport, as the official server does: a noop is no message
    if (current.name === "polling" && current.writable) current.send([{ type: "noop" }]);
    this.#nudgeTimer = this.#clock.setTimeout(() => this.#nudge(), NUDGE_INTERVAL);
  }

  #end(): void {
    this.#session.ended();
    this.#clock.clearTimeout(this.#nudgeTimer);
    this.#clock.clearTimeout(this.#upgradeTimer);
    const next = this.#next;
    next.off("packet", this.#onPacket).off("close", this.#onFail).off("error", this.#onFail);
    next.off("parseError", this.#onFail);
  }
}
