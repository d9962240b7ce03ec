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

/** What a heartbeat's one pending deadline does when it falls due. */
const enum Due {
  None,
  /** Send the next ping. */
  Ping,
  /** The ping's pong deadline (the verdict below). */
  Pong,
  /** Protocol v3: the client's next ping is overdue. */
  ClientPing,
}

/**
 * One session's heartbeat: at most one pending deadline (the next ping, or
 * the pong's) and the time of the last sign of life.
 *
 * The deadlines of every heartbeat of one clock and one length (the ping
 * interval, the pong timeout) wait in one list in the order they fall due,
 * served by one timer ({@link Lane}): a session keeps no timer, closure or
 * timer handle of its own, and a pong costs no timer call. A lane's timer is
 * cleared once the lane is empty, so a host that must sleep without timers
 * (a Durable Object) has none left when no session needs one.
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
  /** What the pending deadline does; `Due.None` when there is none. */
  #due = Due.None;
  /** When it falls due. */
  #at = 0;
  /** The lane it waits in, and its neighbours there. */
  #lane: Lane | undefined;
  #prev: Heartbeat | undefined;
  #next: Heartbeat | undefined;
  #lastPacketAt: number;
  #phase: "ping" | "pong" = "ping";
  #since: number;
  #stopped = false;
  /** While a suspect: the latest time its verdict may be put off to. */
  #latest = 0;

  constructor(timing: HeartbeatTiming, callbacks: HeartbeatCallbacks) {
    this.#timing = timing;
    this.#callbacks = callbacks;
    this.#loop = loopOf(timing.clock);
    this.#lastPacketAt = timing.clock.now();
    this.#since = this.#lastPacketAt;
  }

  /** Where the heartbeat stands (what a host that may lose its memory keeps). */
  get state(): HeartbeatState {
    return { phase: this.#phase, since: this.#since };
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
      this.#phase = "pong";
      this.#since = state.since;
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
    this.#phase = "pong";
    this.#since = clock.now();
    this.#wait(Due.ClientPing, pingInterval + pingTimeout);
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
    if (this.#phase === "pong" && now - this.#since > lateBy(this.#timing.pingTimeout)) {
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
    // the pong deadline, or (v3) the client's ping deadline: every deadline but the next ping
    if (this.#due !== Due.Ping) this.#unwait();
    this.#loop.suspects.delete(this);
  }

  /** Stops for good (the session closed): no deadline is left. */
  stop(): void {
    this.#stopped = true;
    this.#unwait();
    this.#loop.suspects.delete(this);
  }

  #schedulePing(delay: number, since: number): void {
    this.#phase = "ping";
    this.#since = since;
    this.#wait(Due.Ping, delay);
  }

  /** Arms the pong deadline `timeout` from now. */
  #armPongTimeout(timeout: number): void {
    this.#wait(Due.Pong, timeout);
  }

  /** The pending deadline fell due (called by its lane, which unlinked it). */
  #fire(): void {
    const due = this.#due;
    const at = this.#at;
    this.#due = Due.None;
    if (this.#stopped) return;
    const now = this.#timing.clock.now();
    switch (due) {
      case Due.Ping:
        if (now - at > lateBy(this.#timing.pingTimeout)) this.#loop.lateAt = now;
        this.#callbacks.ping();
        // sending may have ended the session (a full write buffer)
        if (this.#stopped) return;
        this.#phase = "pong";
        this.#since = now;
        this.#armPongTimeout(this.#timing.pingTimeout);
        return;
      case Due.Pong:
        if (now - at > lateBy(this.#timing.pingTimeout)) this.#loop.lateAt = now;
        this.#suspect(now);
        return;
      case Due.ClientPing:
        this.#callbacks.dead();
        return;
    }
  }

  /** Makes `due`, `delay` ms from now, the one pending deadline (replacing any other). */
  #wait(due: Due, delay: number): void {
    this.#unwait();
    const clock = this.#timing.clock;
    this.#due = due;
    const at = this.#at = clock.now() + delay;
    const lane = this.#loop.lane(delay);
    this.#lane = lane;
    // in the order they fall due: at the tail, unless the clock went back
    let prev = lane.tail;
    while (prev !== undefined && prev.#at > at) prev = prev.#prev;
    const next = prev === undefined ? lane.head : prev.#next;
    this.#prev = prev;
    this.#next = next;
    if (prev === undefined) lane.head = this;
    else prev.#next = this;
    if (next === undefined) lane.tail = this;
    else next.#prev = this;
    lane.arm(clock, at);
  }

  /** Takes the pending deadline (if any) off its lane. */
  #unwait(): void {
    this.#due = Due.None;
    const lane = this.#lane;
    if (lane === undefined) return;
    const prev = this.#prev, next = this.#next;
    if (prev === undefined) lane.head = next;
    else prev.#next = next;
    if (next === undefined) lane.tail = prev;
    else next.#prev = prev;
    this.#lane = this.#prev = this.#next = undefined;
    if (lane.head === undefined) lane.empty(this.#timing.clock);
  }

  /**
   * Internal (a lane's timer): runs every deadline of the lane due by now, in
   * order; returns when the next one falls due (`undefined`: none left).
   */
  static _serve(lane: Lane, clock: Clock): number | undefined {
    for (;;) {
      const head = lane.head;
      if (head === undefined) return undefined;
      if (head.#at > clock.now()) return head.#at;
      head.#unlinkHead(lane);
      head.#fire();
    }
  }

  /** Unlinks this heartbeat, the head of `lane`, without clearing the lane's timer. */
  #unlinkHead(lane: Lane): void {
    const next = this.#next;
    lane.head = next;
    if (next === undefined) lane.tail = undefined;
    else next.#prev = undefined;
    this.#lane = this.#next = undefined;
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
 * The pending deadlines of one length on one clock, in the order they fall
 * due, and the one timer that serves them. The timer is armed for the head;
 * a deadline that goes away early (a pong came) is unlinked at once and the
 * timer left as it is: when it fires with nothing due it is armed again for
 * the new head, so a steady flow of pongs costs no timer call. It is cleared
 * as soon as the lane is empty, and the loop forgets the lane.
 */
class Lane {
  head: Heartbeat | undefined;
  tail: Heartbeat | undefined;
  #timer: TimerHandle | undefined;
  /** When the running timer fires. */
  #armedAt = Infinity;

  constructor(readonly loop: Loop, readonly ms: number) {}

  /** Makes sure the timer fires by `at`. */
  arm(clock: Clock, at: number): void {
    if (this.#timer !== undefined && this.#armedAt <= at) return;
    clock.clearTimeout(this.#timer);
    this.#armedAt = at;
    this.#timer = clock.setTimeout(() => this.#fired(clock), Math.max(0, at - clock.now()));
  }

  /** Nothing waits any more: the timer goes, and the loop forgets the lane. */
  empty(clock: Clock): void {
    clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Infinity;
    this.loop.forget(this);
  }

  #fired(clock: Clock): void {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const next = Heartbeat._serve(this, clock);
    if (next !== undefined) this.arm(clock, next);
    else if (this.head === undefined && this.#timer === undefined) this.loop.forget(this);
  }
}

/**
 * What the heartbeats of one clock share: when a sign that the event loop is
 * behind was last seen, the suspects of the one shared check, and the lanes
 * of their deadlines (one per length).
 */
class Loop {
  lateAt = -Infinity;
  readonly suspects = new Set<Heartbeat>();
  #timer: TimerHandle | undefined;
  #at = Infinity;
  readonly #lanes = new Map<number, Lane>();

  /** The lane of deadlines `ms` long. */
  lane(ms: number): Lane {
    let lane = this.#lanes.get(ms);
    if (!lane) this.#lanes.set(ms, lane = new Lane(this, ms));
    return lane;
  }

  /** Forgets an empty lane. */
  forget(lane: Lane): void {
    if (this.#lanes.get(lane.ms) === lane) this.#lanes.delete(lane.ms);
  }

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
