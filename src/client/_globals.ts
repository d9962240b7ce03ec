/**
 * What the client reads of its host's globals, in one file.
 * This is the client's one look at the host's globals (browser `location` and window
 * events, the `WebSocket` constructor, the Workers user agent, Node's
 * `Buffer` for `binaryType: "nodebuffer"`). Every one is optional: the
 * client works where it is absent.
 *
 * @module
 */

interface NodeProcess {
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

/** Listens to a window event (`offline`, `online`, `beforeunload`) where there are any. */
export function onHostEvent(type: string, fn: () => void): () => void {
  host.addEventListener?.(type, fn, false);
  return () => host.removeEventListener?.(type, fn, false);
}

/**
 * The `ws` package's WebSocket, for Node 20 (which has no global one), loaded
 * through `process.getBuiltinModule("module")` (Node ≥ 20.16) rather than an
 * `import()`: bundlers for browsers and Workers must not see it, and
 * Miniflare refuses a dynamic import whose specifier is not a literal.
 */
export function nodeWebSocket(): unknown {
  const mod = host.process?.getBuiltinModule?.("module") as
    | { createRequire(from: string): (id: string) => { WebSocket?: unknown } }
    | undefined;
  const ws = mod?.createRequire(import.meta.url)("ws");
  return ws?.WebSocket ?? ws;
}
