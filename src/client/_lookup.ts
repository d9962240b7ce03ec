/**
 * `io(uri, opts)`: parses the URI (namespace = its path), reuses the Manager
 * of the same server unless `forceNew`/`multiplex: false` or the namespace is
 * already open on it, and returns the namespace's socket.
 *
 * @module
 */

import type { EngineKit } from "./engine.ts";
import { pageLocation } from "./_globals.ts";
import { Manager, type ManagerOptions } from "./manager.ts";
import type { Socket, SocketOptions } from "./socket.ts";
import type { DefaultEventsMap, EventsMap } from "./typed_events.ts";

/** The options of `io()`: the Manager's and the Socket's. */
export type ClientOptions = ManagerOptions & SocketOptions;

/** The parts of a server URI that `io()` uses. */
export interface ParsedUri {
  /** `protocol://host:port` as given, with the query. */
  source: string;
  /** The Manager cache key: `protocol://host:port` + the HTTP path. */
  id: string;
  /** The namespace. */
  path: string;
  /** The query string without "?". */
  query: string;
}

/** Completes and parses a server URI, relative to `location` in browsers. */
export function url(
  uri: string | undefined,
  path = "/socket.io",
  loc = pageLocation(),
): ParsedUri {
  let text = uri ?? (loc ? loc.protocol + "//" + loc.host : "");
  if (text.startsWith("//")) text = (loc?.protocol ?? "https:") + text;
  else if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    text = (loc && text.startsWith("/")
      ? loc.protocol + "//" + loc.host
      : loc
      ? loc.protocol + "//"
      : "https://") + text;
  }
  const u = new URL(text);
  const port = u.port || (/^(https|wss):$/.test(u.protocol) ? "443" : "80");
  return {
    source: u.href,
    id: u.protocol + "//" + u.host.replace(/:\d+$/, "") + ":" + port + path,
    path: decodeURIComponent(u.pathname) || "/",
    query: u.search.slice(1),
  };
}

/** The `io()` function: connects and returns the socket of the URI's namespace. */
export type Lookup = <
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
>(
  uri?: string | Partial<ClientOptions>,
  opts?: Partial<ClientOptions>,
) => Socket<ListenEvents, EmitEvents>;

/** Makes the `io()` of an entry, over its transports. */
export function lookupWith(kit: EngineKit): Lookup {
  const cache: Record<string, Manager> = {};
  return function io<
    ListenEvents extends EventsMap = DefaultEventsMap,
    EmitEvents extends EventsMap = ListenEvents,
  >(
    uri?: string | Partial<ClientOptions>,
    opts?: Partial<ClientOptions>,
  ): Socket<ListenEvents, EmitEvents> {
    if (typeof uri === "object") {
      opts = uri;
      uri = undefined;
    }
    opts = { ...opts };
    const parsed = url(uri, opts.path || "/socket.io");
    const cached = cache[parsed.id];
    const fresh = opts.forceNew || (opts as Record<string, unknown>)["force new connection"] ||
      opts.multiplex === false || (cached && parsed.path in cached.nsps);
    if (parsed.query && !opts.query) opts.query = parsed.query;
    const manager = fresh
      ? new Manager(parsed.source, opts, kit)
      : (cache[parsed.id] ??= new Manager(parsed.source, opts, kit));
    return manager.socket(parsed.path, opts) as unknown as Socket<ListenEvents, EmitEvents>;
  };
}
