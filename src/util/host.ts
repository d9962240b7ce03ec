/**
 * The one look at the host's globals outside `src/runtime/`: every global
 * that only some hosts have (browsers, Workers, Node, Deno, Bun) and that the
 * core or the client needs is read here, through one accessor each, and
 * nowhere else (tests/import_rules_test.ts keeps it so). Each is optional:
 * callers work where it is absent.
 *
 * - `Deno.upgradeWebSocket`: a bare `Deno.serve(io.handler())` must upgrade,
 *   and Deno hands a fetch handler no upgrade function (engine/_runtime_probe.ts);
 * - Node's `Buffer`: the user's node-redis/ioredis client needs it for binary
 *   arguments (adapter/redis/_client.ts), and the client gives binary as
 *   `Buffer`s where Node's API is (client/_node.ts);
 * - whether the host is Node or Bun (`process.versions`, with `Deno` and the
 *   Workers user agent ruled out): the server hands received binary as
 *   `Buffer`s there, as the official server does (engine/_received.ts);
 * - the client's host: the page's `location`, a DOM (`document`), the Workers
 *   user agent, the global `WebSocket`, `process.versions`, Node's built-in
 *   modules through `process.getBuiltinModule` (for `ws` and `node:http`),
 *   and window events (`addEventListener`/`removeEventListener`).
 *
 * Only functions and no work at load time, so that a bundle keeps just the
 * accessors it calls.
 *
 * @module
 */

interface NodeProcess {
  versions?: Record<string, string>;
  getBuiltinModule?(name: string): unknown;
}

/** Deno's `upgradeWebSocket`, typed as loosely as the callers need. */
export type DenoUpgradeWebSocket = (req: Request) => { socket: unknown; response: Response };

/** Node's `Buffer`, as far as it is used: a view on existing memory. */
export interface NodeBufferLike {
  from(buffer: ArrayBufferLike, offset: number, length: number): unknown;
  isBuffer(value: unknown): boolean;
}

interface HostGlobals {
  Deno?: { upgradeWebSocket?: DenoUpgradeWebSocket };
  process?: NodeProcess;
  location?: Location;
  document?: unknown;
  navigator?: { userAgent?: string };
  WebSocket?: unknown;
  Buffer?: NodeBufferLike;
  addEventListener?: (type: string, fn: () => void, capture?: boolean) => void;
  removeEventListener?: (type: string, fn: () => void, capture?: boolean) => void;
}

const host: HostGlobals = globalThis as HostGlobals;

/** `Deno.upgradeWebSocket`, in Deno (called unbound, as Deno allows). */
export function denoUpgradeWebSocket(): DenoUpgradeWebSocket | undefined {
  return host.Deno?.upgradeWebSocket;
}

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
export function nodeBuffer(): NodeBufferLike | undefined {
  return host.Buffer;
}

/**
 * Node's `Buffer` when the host is Node or Bun, where the official server
 * hands received binary as `Buffer`s and users' code expects them
 * (`Buffer.isBuffer`, `data.toString("hex")`). Deno and Workers with
 * `nodejs_compat` have a `Buffer` (and `process.versions.node`) too, but Web
 * APIs are their native ones: `undefined` there, as in browsers.
 */
export function nodeOrBunBuffer(): NodeBufferLike | undefined {
  if (host.Deno !== undefined || isWorkers()) return undefined;
  const versions = host.process?.versions;
  return versions?.node !== undefined || versions?.bun !== undefined ? host.Buffer : undefined;
}

/** The runtime's versions (`process.versions`): Node, Deno and Bun have them, browsers not. */
export function runtimeVersions(): Record<string, string> | undefined {
  return host.process?.versions;
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
