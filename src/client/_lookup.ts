/**
 * `io(uri, opts)`: parses the URI (namespace = its path), reuses the Manager
 * of the same server unless `forceNew`/`multiplex: false` or the namespace is
 * already open on it, and returns the namespace's socket.
 *
 * @module
 */

import { type EngineCtor, Manager, type ManagerOptions } from "./manager.ts";
import type { Socket, SocketOptions } from "./socket.ts";
import type { DefaultEventsMap, EventsMap } from "./typed_events.ts";
import { parseUri, portOf } from "./_uri.ts";

/** The options of `io()`: the Manager's and the Socket's. */
export type ClientOptions = ManagerOptions & SocketOptions;

/** The parts of a server URI that `io()` uses. */
export interface ParsedUri {
  /** The whole URI, completed. */
  url: URL;
  /** The Manager cache key: `protocol://host:port` + the HTTP path. */
  id: string;
  /** The namespace. */
  path: string;
}

/** Completes and parses a server URI, relative to `location` in browsers. */
export function url(uri: string | undefined, path = "/socket.io", loc?: Location): ParsedUri {
  const u = parseUri(uri, loc);
  return {
    url: u,
    id: u.protocol + "//" + u.hostname + ":" + portOf(u) + path,
    path: decodeURIComponent(u.pathname) || "/",
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

/** Makes the `io()` of an entry, over its engine. */
export function lookupWith(Engine: EngineCtor): Lookup {
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
    // the parsed URI goes down as it is: the engine does not parse it again
    const manager = fresh
      ? new Manager(parsed.url, opts, Engine)
      : (cache[parsed.id] ??= new Manager(parsed.url, opts, Engine));
    return manager.socket(parsed.path, opts) as unknown as Socket<ListenEvents, EmitEvents>;
  };
}
