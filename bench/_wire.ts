/**
 * The two wire formats the load speaks: Socket.IO v5 over Engine.IO v4
 * WebSocket frames (spoken directly, without the official client), and the
 * plain frames of the raw servers (`e<id>|<arg>` → `a<id>|<arg>`,
 * `b<arg>` → `m<arg>` to everyone).
 *
 * @module
 */

/** Which format a server speaks. */
export type Proto = "sio" | "raw";

/** What a client should do with an incoming frame. */
export const Kind = {
  /** Nothing to do (noop, or an unrelated packet). */
  Other: 0,
  /** A broadcast message ("msg" event / `m` frame). */
  Msg: 1,
  /** An acknowledgement; `ackId()` reads its id. */
  Ack: 2,
  /** Engine.IO ping: answer `3`. */
  Ping: 3,
  /** Engine.IO open packet: connect to the main namespace with `40`. */
  Open: 4,
  /** Namespace connected: the client is ready (raw clients are ready on open). */
  Ready: 5,
  /** The server refused the namespace connection. */
  Refused: 6,
} as const;

/** One of {@link Kind}. */
export type Kind = typeof Kind[keyof typeof Kind];

const C0 = 48, C2 = 50, C3 = 51, C4 = 52;

/** The WebSocket URL of a server. */
export function wsUrl(proto: Proto, port: number): string {
  return proto === "sio"
    ? `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`
    : `ws://127.0.0.1:${port}/`;
}

/** Classifies one incoming text frame. */
export function classify(proto: Proto, data: string): Kind {
  const c0 = data.charCodeAt(0);
  if (proto === "raw") return c0 === 109 ? Kind.Msg : c0 === 97 ? Kind.Ack : Kind.Other;
  if (c0 === C4) {
    const c1 = data.charCodeAt(1);
    if (c1 === C2) return Kind.Msg; // the only event the server emits
    if (c1 === C3) return Kind.Ack;
    if (c1 === C0) return Kind.Ready;
    return c1 === C4 ? Kind.Refused : Kind.Other;
  }
  if (c0 === C2) return Kind.Ping;
  return c0 === C0 ? Kind.Open : Kind.Other;
}

/** The id of an ack frame: the digits after `43` (sio) or `a` (raw). */
export function ackId(proto: Proto, data: string): number {
  let i = proto === "sio" ? 2 : 1;
  let id = 0;
  for (let c = data.charCodeAt(i); c >= C0 && c <= 57; c = data.charCodeAt(++i)) {
    id = id * 10 + (c - C0);
  }
  return id;
}

/** An `echo` call with ack `id`. */
export function echoFrame(proto: Proto, id: number, arg: string): string {
  return proto === "sio" ? `42${id}["echo",${JSON.stringify(arg)}]` : `e${id}|${arg}`;
}

/** A `bcast` call (no ack). */
export function bcastFrame(proto: Proto, arg: string): string {
  return proto === "sio" ? `42["bcast",${JSON.stringify(arg)}]` : `b${arg}`;
}
