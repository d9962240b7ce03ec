/**
 * The heartbeat of an Engine.IO v4 session (protocol v4, "Heartbeat"): only
 * the server pings, every `pingInterval`, and the client answers each ping
 * with a pong within `pingTimeout`. Any packet from the client is a sign of
 * life: a pong stuck behind other traffic does not make a dead client.
 *
 * See https://github.com/socketio/engine.io-protocol (v4, "Heartbeat").
 *
 * @module
 */

import type { Clock, TimerHandle } from "../util/clock.ts";

/**
 * Where a session's heartbeat stands: `"ping"` — the next ping is due at
 * `since + pingInterval`; `"pong"` — the ping sent at `since` awaits its pong
 * until `since + pingTimeout`.
 */
export interface HeartbeatState {
  readonly phase: "ping" | "pong";
  readonly since: number;
}

/** What a heartbeat calls back: the only two things it ever does to its session. */
export interface HeartbeatCallbacks {
  /** Sends a ping packet. */
  ping(): void;
  /** The client stayed silent past the pong deadline ("ping timeout"). */
  dead(): void;
}

/** The heartbeat's timing. */
export interface HeartbeatTiming {
  /** The clock of the ping interval and pong timeout (alarms on a Durable Object). */
  readonly clock: Clock;
  /** Milliseconds between a pong (or the open) and the next ping. */
  readonly pingInterval: number;
  /** Milliseconds a ping waits for its pong. */
  readonly pingTimeout: number;
}

/** One session's heartbeat: two timers and the time of the last sign of life. */
export class Heartbeat {
  readonly #timing: HeartbeatTiming;
  readonly #callbacks: HeartbeatCallbacks;
  #pingTimer: TimerHandle | undefined;
  #pongTimer: TimerHandle | undefined;
  #lastPacketAt: number;
  #state: HeartbeatState;
  #stopped = false;

  constructor(timing: HeartbeatTiming, callbacks: HeartbeatCallbacks) {
    this.#timing = timing;
    this.#callbacks = callbacks;
    this.#lastPacketAt = timing.clock.now();
    this.#state = { phase: "ping", since: this.#lastPacketAt };
  }

  /** Where the heartbeat stands (what a host that may lose its memory keeps). */
  get state(): HeartbeatState {
    return this.#state;
  }

  /** Starts pinging: the first ping goes out `pingInterval` from now. */
  start(): void {
    this.#schedulePing(this.#timing.pingInterval, this.#timing.clock.now());
  }

  /**
   * Carries on from `state`, recorded by a process that went away: an overdue
   * ping or pong deadline acts at once.
   */
  resume(state: HeartbeatState): void {
    const { clock, pingInterval, pingTimeout } = this.#timing;
    this.#lastPacketAt = state.since;
    const now = clock.now();
    if (state.phase === "pong") {
      this.#armPongTimeout(Math.max(0, state.since + pingTimeout - now));
      this.#state = state;
    } else {
      this.#schedulePing(Math.max(0, state.since + pingInterval - now), state.since);
    }
  }

  /**
   * Protocol v3 (`allowEIO3`): the client pings and the server answers; a
   * client silent for `pingInterval + pingTimeout` since its last ping (or
   * the open) is dead.
   */
  startClientPings(): void {
    this.onPing();
  }

  /** Protocol v3: the client's ping; the deadline starts again. */
  onPing(): void {
    const { clock, pingInterval, pingTimeout } = this.#timing;
    clock.clearTimeout(this.#pongTimer);
    this.#state = { phase: "pong", since: clock.now() };
    this.#pongTimer = clock.setTimeout(() => {
      this.#pongTimer = undefined;
      if (!this.#stopped) this.#callbacks.dead();
    }, pingInterval + pingTimeout);
  }

  /** Any packet from the client: a sign of life. */
  onPacket(): void {
    this.#lastPacketAt = this.#timing.clock.now();
  }

  /** The client's pong: the next ping is due `pingInterval` from now. */
  onPong(): void {
    this.#timing.clock.clearTimeout(this.#pongTimer);
    this.#pongTimer = undefined;
    this.#schedulePing(this.#timing.pingInterval, this.#timing.clock.now());
  }

  /**
   * Forgets the pending pong deadline, as the official server does when the
   * session changes transport; the next pong (or the next ping) sets it again.
   */
  clearPongTimeout(): void {
    this.#timing.clock.clearTimeout(this.#pongTimer);
    this.#pongTimer = undefined;
  }

  /** Stops both timers for good (the session closed). */
  stop(): void {
    this.#stopped = true;
    const clock = this.#timing.clock;
    clock.clearTimeout(this.#pingTimer);
    clock.clearTimeout(this.#pongTimer);
    this.#pingTimer = this.#pongTimer = undefined;
  }

  #schedulePing(delay: number, since: number): void {
    const clock = this.#timing.clock;
    this.#state = { phase: "ping", since };
    clock.clearTimeout(this.#pingTimer);
    this.#pingTimer = clock.setTimeout(() => {
      this.#pingTimer = undefined;
      this.#callbacks.ping();
      // sending may have ended the session (a full write buffer)
      if (this.#stopped) return;
      this.#state = { phase: "pong", since: clock.now() };
      this.#armPongTimeout(this.#timing.pingTimeout);
    }, delay);
  }

  /**
   * Arms the pong deadline `timeout` from now. `limit` is the latest time a
   * verdict may be put off to while the event loop is congested; by default
   * one more `pingTimeout` after the deadline. A timer that fires late past
   * `limit` gets one more look (`graced`), never two.
   */
  #armPongTimeout(timeout: number, limit?: number, graced = false): void {
    const clock = this.#timing.clock;
    const pingTimeout = this.#timing.pingTimeout;
    clock.clearTimeout(this.#pongTimer);
    const due = clock.now() + timeout;
    const latest = limit ?? due + pingTimeout;
    this.#pongTimer = clock.setTimeout(() => {
      this.#pongTimer = undefined;
      if (this.#stopped) return;
      const now = clock.now();
      // any packet is a sign of life: a pong stuck behind other traffic is not a dead client
      const since = now - this.#lastPacketAt;
      if (since < timeout) return this.#armPongTimeout(timeout - since);
      // A timer that fires late means the event loop was stalled (a busy
      // machine, a burst of work): the pongs that arrived meanwhile still
      // wait to be read, and every session's timer fires in the same turn.
      // Under load the loop may take longer to catch up than it stalled, and
      // a timer armed after the stall may fire on time while the input is
      // still unread: so the verdict waits while this timer, or any other
      // heartbeat of the same clock within the last `pingTimeout`, fired
      // late — until `latest`; a timer that itself fires late past `latest`
      // still gets one look after the input has been read.
      const late = now - due;
      const lateBy = _lateBy(pingTimeout);
      const loop = _loopOf(clock);
      if (late > lateBy) loop.lateAt = now;
      const wait = Math.max(late, lateBy);
      if (now < latest && (late > lateBy || now - loop.lateAt < pingTimeout)) {
        return this.#armPongTimeout(Math.min(wait, latest - now), latest, graced);
      }
      if (late > lateBy && !graced) {
        return this.#armPongTimeout(Math.min(wait, pingTimeout), now, true);
      }
      this.#callbacks.dead();
    }, timeout);
  }
}

/** What the heartbeats of one clock saw of its event loop: when a timer last fired late. */
interface _LoopState {
  lateAt: number;
}

const _loops = new WeakMap<Clock, _LoopState>();

function _loopOf(clock: Clock): _LoopState {
  let loop = _loops.get(clock);
  if (!loop) _loops.set(clock, loop = { lateAt: -Infinity });
  return loop;
}

/** How late a pong timer may fire before the event loop, not the client, is suspected. */
function _lateBy(timeout: number): number {
  return Math.max(50, timeout / 10);
}
