/**
 * The `socket.handshake` object, built from the Engine.IO handshake request in
 * the shape the official Node server gives it.
 *
 * @module
 */

import type { RequestHead } from "../engine/request_head.ts";

/** The details of the request that opened the connection. */
export interface Handshake {
  /** The request headers, names lower-cased, as a plain object (like Node's `req.headers`). */
  headers: Record<string, string>;
  /** When the socket was created, as `String(new Date())`. */
  time: string;
  /** The client's IP address. */
  address: string;
  /** Whether the request carried an `Origin` header. */
  xdomain: boolean;
  /** Whether the request came over TLS. */
  secure: boolean;
  /** When the socket was created, in milliseconds since the epoch. */
  issued: number;
  /** The request path and query, like Node's `req.url`. */
  url: string;
  /** The query parameters; a repeated one becomes an array. */
  query: Record<string, string | string[]>;
  /** The `auth` payload of the client's CONNECT packet. */
  auth: Record<string, unknown>;
}

/** The parts of `socket.handshake` taken from the connection's request; the same for every namespace. */
export type HandshakeRequest = Pick<Handshake, "headers" | "xdomain" | "secure" | "url" | "query">;

/**
 * Parses what the handshake needs from the session's request head, once per
 * connection (the head itself was read by the engine before any upgrade).
 */
export function handshakeRequest(request: RequestHead): HandshakeRequest {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  const list = request.headers;
  for (let i = 0; i + 1 < list.length; i += 2) setOwn(headers, list[i]!, list[i + 1]!);
  return {
    headers,
    xdomain: headers["origin"] !== undefined,
    secure: url.protocol === "https:" || url.protocol === "wss:",
    url: url.pathname + url.search,
    query: parseQuery(url.searchParams),
  };
}

/** Builds the handshake of a socket from its connection's parsed request. */
export function buildHandshake(
  snapshot: HandshakeRequest,
  address: string,
  auth: Record<string, unknown>,
  issued: number,
): Handshake {
  // spelled out: a spread here costs microseconds per connection on V8
  return {
    headers: snapshot.headers,
    time: timeString(issued),
    address,
    xdomain: snapshot.xdomain,
    secure: snapshot.secure,
    issued,
    url: snapshot.url,
    query: snapshot.query,
    auth,
  };
}

let cachedSecond = NaN;
let cachedTimeString = "";

/** `String(new Date(ms))`, which has a resolution of one second: made once per second. */
function timeString(ms: number): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedTimeString = String(new Date(ms));
  }
  return cachedTimeString;
}

/** Like Node's `querystring.parse`: a null-prototype object, repeated keys as arrays. */
function parseQuery(params: URLSearchParams): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = Object.create(null);
  params.forEach((value, key) => {
    const previous = query[key];
    if (previous === undefined) query[key] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else query[key] = [previous, value];
  });
  return query;
}

/** Sets an own property even for names like `__proto__`. */
function setOwn(target: Record<string, string>, key: string, value: string): void {
  // a plain assignment is much cheaper; only `__proto__` would set the prototype instead
  if (key !== "__proto__") {
    target[key] = value;
    return;
  }
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
