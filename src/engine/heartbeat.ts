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

/**
 * One session's heartbeat: two timers and the time of the last sign of life.
 *
 * The pong verdict is robust to a loaded event loop. When a pong deadline
 * passes without a sign of life, the session does not die at once: it
 * is judged at once only if the loop showed no sign of being behind for a
 * while (`lateBy(pingTimeout)`): no timer of the heartbeats fired late and no
 * pong was read late after its ping. Otherwise it becomes a suspect, and one
 * check shared by every heartbeat of the clock judges the suspects once the
 * loop has shown no such sign for that long (its input read meanwhile). The second sign matters on Deno, which
 * dispatches at most 128 WebSocket frames per event-loop turn while every
 * due timer fires in every turn: after a burst, pongs that arrived wait many
 * turns to be read, with every timer on time. A verdict is put off by at
 * most one `pingTimeout` after the loop first looked at it, so a silent
 * client is dropped at its deadline on an idle loop and at most one more
 * `pingTimeout` later (after the loop looked) on a loaded one.
 */
export class Heartbeat {
  readonly #timing: HeartbeatTiming;
  readonly #callbacks: HeartbeatCallbacks;
  readonly #loop: Loop;
  #pingTimer: TimerHandle | undefined;
  #pongTimer: TimerHandle | undefined;
  #lastPacketAt: number;
  #state: HeartbeatState;
  #stopped = false;
  /** While a suspect: the latest time its verdict may be put off to. */
  #latest = 0;

  constructor(timing: HeartbeatTiming, callbacks: HeartbeatCallbacks) {
    this.#timing = timing;
    this.#callbacks = callbacks;
    this.#loop = loopOf(timing.clock);
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
    const clock = this.#timing.clock;
    const now = clock.now();
    // a pong read long after its ping: the loop (or the network) is behind
    if (
      this.#state.phase === "pong" && now - this.#state.since > lateBy(this.#timing.pingTimeout)
    ) {
      this.#loop.lateAt = now;
    }
    this.clearPongTimeout();
    this.#schedulePing(this.#timing.pingInterval, now);
  }

  /**
   * Forgets the pending pong deadline, as the official server does when the
   * session changes transport; the next pong (or the next ping) sets it again.
   */
  clearPongTimeout(): void {
    this.#timing.clock.clearTimeout(this.#pongTimer);
    this.#pongTimer = undefined;
    this.#loop.suspects.delete(this);
  }

  /** Stops both timers for good (the session closed). */
  stop(): void {
    this.#stopped = true;
    const clock = this.#timing.clock;
    clock.clearTimeout(this.#pingTimer);
    this.clearPongTimeout();
    this.#pingTimer = undefined;
  }

  #schedulePing(delay: number, since: number): void {
    const clock = this.#timing.clock;
    this.#state = { phase: "ping", since };
    clock.clearTimeout(this.#pingTimer);
    const due = clock.now() + delay;
    this.#pingTimer = clock.setTimeout(() => {
      this.#pingTimer = undefined;
      const now = clock.now();
      if (now - due > lateBy(this.#timing.pingTimeout)) this.#loop.lateAt = now;
      this.#callbacks.ping();
      // sending may have ended the session (a full write buffer)
      if (this.#stopped) return;
      this.#state = { phase: "pong", since: now };
      this.#armPongTimeout(this.#timing.pingTimeout);
    }, delay);
  }

  /** Arms the pong deadline `timeout` from now. */
  #armPongTimeout(timeout: number): void {
    const clock = this.#timing.clock;
    clock.clearTimeout(this.#pongTimer);
    const due = clock.now() + timeout;
    this.#pongTimer = clock.setTimeout(() => {
      this.#pongTimer = undefined;
      if (this.#stopped) return;
      const now = clock.now();
      if (now - due > lateBy(this.#timing.pingTimeout)) this.#loop.lateAt = now;
      this.#suspect(now);
    }, timeout);
  }

  /**
   * The pong deadline passed: judged now when the loop showed no sign of
   * being behind lately, else by the shared check once it did not for a while.
   */
  #suspect(now: number): void {
    const loop = this.#loop;
    if (loop.suspects.has(this)) return;
    this.#latest = now + this.#timing.pingTimeout;
    const again = this._judge(now);
    if (again === undefined) return;
    loop.suspects.add(this);
    loop.schedule(this.#timing.clock, again - now);
  }

  /**
   * Internal (the shared check): judges this suspect at `now`; returns when
   * to look again, or `undefined` once it is judged (alive or dead).
   */
  _judge(now: number): number | undefined {
    const loop = this.#loop;
    const pingTimeout = this.#timing.pingTimeout;
    if (this.#stopped) return undefined;
    // any packet is a sign of life: a pong stuck behind other traffic is not a dead client
    const since = now - this.#lastPacketAt;
    if (since < pingTimeout) {
      loop.suspects.delete(this);
      this.#armPongTimeout(pingTimeout - since);
      return undefined;
    }
    const quietFrom = loop.lateAt + lateBy(pingTimeout);
    if (now < this.#latest && now < quietFrom) return Math.min(this.#latest, quietFrom);
    loop.suspects.delete(this);
    this.#callbacks.dead();
    return undefined;
  }
}

/**
 * What the heartbeats of one clock share: when a sign that the event loop is
 * behind was last seen, and the suspects of the one shared check.
 */
class Loop {
  lateAt = -Infinity;
  readonly suspects = new Set<Heartbeat>();
  #timer: TimerHandle | undefined;
  #at = Infinity;

  /** Runs the check `delay` ms from now, unless it runs sooner. */
  schedule(clock: Clock, delay: number): void {
    const at = clock.now() + delay;
    if (this.#timer !== undefined && this.#at <= at) return;
    clock.clearTimeout(this.#timer);
    this.#at = at;
    this.#timer = clock.setTimeout(() => this.#check(clock), delay);
  }

  #check(clock: Clock): void {
    this.#timer = undefined;
    const now = clock.now();
    // the check itself running late is a stalled loop too
    if (now - this.#at > LATE_CHECK_MS) this.lateAt = now;
    this.#at = Infinity;
    let next = Infinity;
    for (const suspect of [...this.suspects]) {
      if (!this.suspects.has(suspect)) continue;
      const again = suspect._judge(now);
      if (again !== undefined && again < next) next = again;
    }
    if (next !== Infinity && this.suspects.size) this.schedule(clock, Math.max(0, next - now));
  }
}

/** How late the shared check may run before the loop counts as stalled. */
const LATE_CHECK_MS = 50;

const loops = new WeakMap<Clock, Loop>();

function loopOf(clock: Clock): Loop {
  let loop = loops.get(clock);
  if (!loop) loops.set(clock, loop = new Loop());
  return loop;
}

/** How late a timer (or a pong after its ping) may come before the event loop is suspected. */
function lateBy(timeout: number): number {
  return Math.max(50, timeout / 10);
}
