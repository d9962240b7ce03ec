/**
 * `_node.ts` for browser bundles (package.json `"browser"`): no Node API
 * there, so binary is `ArrayBuffer`, WebSocket the global one and polling
 * `fetch`.
 *
 * @module
 */

/** Always `"arraybuffer"` in browsers. */
export function defaultBinaryType(): string {
  return "arraybuffer";
}

/** No `Buffer` in browsers: the bytes as they are. */
export function toBuffer(bytes: Uint8Array): unknown {
  return bytes;
}

/** No `ws` in browsers. */
export function nodeWebSocket(): unknown {
  return undefined;
}

/** No `node:http` in browsers: polling uses `fetch`. */
export function nodeFetch(_unref?: boolean): typeof fetch | undefined {
  return undefined;
}
