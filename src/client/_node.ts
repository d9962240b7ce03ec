/**
 * What the client does differently where Node's API is (Node, and Deno and
 * Bun, which provide it): binary as `Buffer`, `ws` where there is no global
 * WebSocket, polling through `node:http`. Bundlers for browsers take
 * `_node.browser.ts` instead (package.json `"browser"`), so none of this is
 * in a browser bundle; everything here also checks at run time, for
 * bundlers that ignore that field.
 *
 * @module
 */

import { builtin, isWorkers, nodeBuffer, runtimeVersions } from "../util/host.ts";

const versions = isWorkers() ? undefined : runtimeVersions();
/** Node itself (Deno and Bun provide Node's API too, with their own fetch and WebSocket). */
const onNode = !!versions?.node && !versions.bun && !versions.deno;

/**
 * The default `binaryType`: `"nodebuffer"` (binary as `Buffer`s, as the
 * official client's Node build gives them, in Node, Deno and Bun) where
 * Node's API is, else `"arraybuffer"`.
 */
export function defaultBinaryType(): string {
  return versions?.node && nodeBuffer() ? "nodebuffer" : "arraybuffer";
}

/** `bytes` as a Node `Buffer` (same memory), where there is `Buffer`. */
export function toBuffer(bytes: Uint8Array): unknown {
  return nodeBuffer()?.from(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength) ??
    bytes;
}

/**
 * On Node, the `ws` package's WebSocket (a dependency of sio-edge), as the
 * official client uses: Node 20 has no global one, and Node 22's (undici's)
 * cannot be unref'd for `autoUnref`. Loaded through
 * `process.getBuiltinModule("module")` (Node ≥ 20.16) rather than an
 * `import()`: bundlers for browsers and Workers must not see it, and
 * Miniflare refuses a dynamic import whose specifier is not a literal.
 * Undefined elsewhere, or where `ws` cannot be found (the global one is used).
 */
export function nodeWebSocket(): unknown {
  if (!onNode) return;
  const mod = builtin("module") as
    | { createRequire(from: string): (id: string) => { WebSocket?: unknown } }
    | undefined;
  try {
    const ws = mod?.createRequire(import.meta.url)("ws");
    return ws?.WebSocket ?? ws;
  } catch {
    return undefined;
  }
}

interface NodeRequest {
  on(event: string, fn: (arg: never) => void): this;
  end(body?: string): void;
}
interface NodeResponse {
  statusCode: number;
  resume(): void;
}
interface NodeHttp {
  request(uri: string, init: RequestInit, onResponse: (res: NodeResponse) => void): NodeRequest;
}
interface Consumers {
  text(stream: NodeResponse): Promise<string>;
}

/**
 * On Node (not Deno or Bun, whose `fetch` has neither problem), the polling
 * requests go through `node:http(s)`, as the official client's do, in a
 * `fetch` shape: Node's `fetch` keeps the process alive while a GET waits (so
 * `autoUnref` could not let it exit), and runs its timers on the global,
 * fakeable clock (so fake timers in a test stall or hurry its requests).
 * Undefined elsewhere.
 */
export function nodeFetch(unref?: boolean): typeof fetch | undefined {
  if (!onNode || !builtin("http")) return;
  return ((uri: string, init: RequestInit) =>
    new Promise((resolve, reject) => {
      const http = builtin(uri.startsWith("https") ? "https" : "http") as NodeHttp;
      const req = http.request(uri, init, (res) =>
        resolve({
          ok: res.statusCode < 300,
          status: res.statusCode,
          body: { cancel: () => res.resume() },
          text: () => (builtin("stream/consumers") as Consumers).text(res),
        })).on("error", reject);
      if (unref) req.on("socket", (socket: { unref(): void }) => socket.unref());
      req.end(init.body as string | undefined);
    })) as unknown as typeof fetch;
}
