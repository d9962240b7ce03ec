/**
 * The `socket.handshake` object, built from the Engine.IO handshake request in
 * the shape the official Node server gives it.
 *
 * @module
 */

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

/** Builds the handshake of a socket from its connection's handshake request. */
export function buildHandshake(
  request: Request,
  address: string,
  auth: Record<string, unknown>,
  now: number,
): Handshake {
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, name) => setOwn(headers, name, value));
  return {
    headers,
    time: String(new Date(now)),
    address,
    xdomain: request.headers.has("origin"),
    secure: url.protocol === "https:" || url.protocol === "wss:",
    issued: now,
    url: url.pathname + url.search,
    query: parseQuery(url.searchParams),
    auth,
  };
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
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}
