/**
 * What the client reads of its host's globals, in one file.
 * This is the client's one look at the host's globals (browser `location` and window
 * events, the `WebSocket` constructor, the Workers user agent, Node's
 * `Buffer` and built-in modules). Every one is optional: the client works
 * where it is absent.
 *
 * @module
 */

interface NodeProcess {
  versions?: Record<string, string>;
  getBuiltinModule?(name: string): unknown;
}

interface HostGlobals {
  process?: NodeProcess;
  location?: Location;
  document?: unknown;
  navigator?: { userAgent?: string };
  WebSocket?: unknown;
  Buffer?: { from(buffer: ArrayBuffer, offset: number, length: number): unknown };
  addEventListener?: (type: string, fn: () => void, capture?: boolean) => void;
  removeEventListener?: (type: string, fn: () => void, capture?: boolean) => void;
}

const host: HostGlobals = globalThis as HostGlobals;
const versions = host.process?.versions;

/** The page's location, in browsers. */
export function pageLocation(): Location | undefined {
  return host.location;
}

/** Whether a DOM is present (a browser page, where a WebSocket cannot take headers). */
export function hasDocument(): boolean {
  return host.document !== undefined;
}

/** Whether this is Cloudflare Workers (outgoing WebSockets go through `fetch` there). */
export function isWorkers(): boolean {
  return host.navigator?.userAgent === "Cloudflare-Workers";
}

/** The global `WebSocket` constructor, if any (Node 20 has none). */
export function globalWebSocket(): unknown {
  return host.WebSocket;
}

/** Node's `Buffer`, if any. */
export function nodeBuffer(): HostGlobals["Buffer"] {
  return host.Buffer;
}

/** The runtime's versions (`process.versions`): Node, Deno and Bun have them, browsers not. */
export function runtimeVersions(): Record<string, string> | undefined {
  return versions;
}

/** Listens to a window event (`offline`, `online`, `beforeunload`) where there are any. */
export function onHostEvent(type: string, fn: () => void): () => void {
  host.addEventListener?.(type, fn, false);
  return () => host.removeEventListener?.(type, fn, false);
}

/** One of Node's built-in modules (Node ≥ 20.16, Deno, Bun), without an `import()` a bundler would follow. */
export function builtin(name: string): unknown {
  return host.process?.getBuiltinModule?.(name);
}
