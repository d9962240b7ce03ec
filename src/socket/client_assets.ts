/**
 * Serves the official browser client (`socket.io.js`, `socket.io.min.js`,
 * `socket.io.esm.min.js` and their source maps) from the bundles embedded at
 * build time, as the official server does under `/socket.io/`: an ETag with
 * 304 answers, compression when the client accepts it, and the same
 * `Cache-Control` and content types. Beside them it serves sio-edge's own
 * client (`socket.io.sio-edge.min.js`, a classic script defining `io`, and
 * `socket.io.sio-edge.esm.min.js`).
 *
 * @module
 */

import { applyCors, type CorsOptions } from "../engine/cors.ts";
import { CLIENT_FILES, type ClientFile } from "./_client_bundles.generated.ts";
import {
  CONTENT_CODINGS,
  type ContentCoding,
  negotiateContentCoding,
} from "../util/content_coding.ts";

export { CLIENT_VERSION } from "./_client_bundles.generated.ts";

/**
 * The official server's policy: caches may keep the file but must revalidate
 * (cheap, thanks to the ETag) so an upgraded server never serves a stale client.
 */
const CACHE_CONTROL = "public, max-age=0";

/** Compressed bodies, made once per file and coding (the files never change). */
const compressedBodies = new Map<string, Promise<Uint8Array>>();

/** The names of the files {@link serveClientAsset} serves. */
export const CLIENT_FILE_NAMES: readonly string[] = Object.keys(CLIENT_FILES);

/**
 * Answers a request for one of the client files, `relativePath` being the
 * part of the URL path after the server's path (e.g. `"socket.io.min.js"`).
 * Resolves to `undefined` when `relativePath` names no client file, so the
 * caller can go on with its own routing.
 *
 * @example
 * ```ts
 * import { serveClientAsset } from "./client_assets.ts";
 * const res = await serveClientAsset(
 *   new Request("http://localhost/socket.io/socket.io.js"),
 *   "socket.io.js",
 * );
 * if (res?.headers.get("content-type") !== "application/javascript; charset=utf-8") {
 *   throw new Error("not served");
 * }
 * ```
 */
export async function serveClientAsset(
  req: Request,
  relativePath: string,
): Promise<Response | undefined> {
  if (!Object.hasOwn(CLIENT_FILES, relativePath)) return undefined;
  const file = CLIENT_FILES[relativePath]!;
  if (req.method !== "GET" && req.method !== "HEAD") {
    return new Response(null, { status: 405, headers: { allow: "GET, HEAD" } });
  }
  const coding = negotiateContentCoding(req.headers.get("accept-encoding"));
  const headers = new Headers({
    "cache-control": CACHE_CONTROL,
    etag: etagOf(file, coding),
    vary: "Accept-Encoding",
  });
  if (notModified(req.headers.get("if-none-match"), file)) {
    return new Response(null, { status: 304, headers });
  }
  const isMap = relativePath.endsWith(".map");
  headers.set("content-type", `application/${isMap ? "json" : "javascript"}; charset=utf-8`);
  if (coding === undefined) {
    return new Response(req.method === "HEAD" ? null : file.body, { headers });
  }
  headers.set("content-encoding", coding);
  if (req.method === "HEAD") return new Response(null, { headers });
  try {
    // a copy per response: a runtime may take over the bytes it is given
    const body = (await compressed(relativePath, file, coding)).slice();
    // `encodeBody: "manual"` tells Cloudflare Workers the body is already
    // encoded; without it workerd compresses it a second time. Other runtimes
    // ignore the member.
    return new Response(body, { headers, encodeBody: "manual" } as ResponseInit);
  } catch {
    // a runtime whose CompressionStream fails still gets the file
    headers.delete("content-encoding");
    headers.set("etag", file.etag);
    return new Response(file.body, { headers });
  }
}

/**
 * What the server's `serveClient` option does: answers `req` when it asks for
 * one of the client files under the server's `path` (`"/socket.io"`, with or
 * without the trailing slash), with the server's CORS headers as the official
 * server adds them; `undefined` for every other request, which then goes to
 * the engine.
 *
 * @example
 * ```ts
 * import { serveClientFile } from "./client_assets.ts";
 * const req = new Request("http://localhost/socket.io/socket.io.min.js");
 * const res = await serveClientFile(req, "/socket.io", { origin: "*" });
 * if (res?.headers.get("access-control-allow-origin") !== "*") throw new Error("no CORS");
 * if (await serveClientFile(new Request("http://localhost/socket.io/?EIO=4"), "/socket.io")) {
 *   throw new Error("engine requests are not client files");
 * }
 * ```
 */
export async function serveClientFile(
  req: Request,
  path: string,
  cors?: CorsOptions,
): Promise<Response | undefined> {
  const prefix = path.endsWith("/") ? path : `${path}/`;
  const { pathname } = new URL(req.url);
  if (!pathname.startsWith(prefix)) return undefined;
  const name = pathname.slice(prefix.length);
  if (!Object.hasOwn(CLIENT_FILES, name)) return undefined;
  const allowed = cors ? await applyCors(req, cors) : undefined;
  if (allowed?.preflight) return allowed.preflight;
  const res = (await serveClientAsset(req, name))!;
  for (const [header, value] of allowed?.headers ?? []) res.headers.append(header, value);
  return res;
}

/** Each representation gets its own strong validator (RFC 9110 §8.8.3.3). */
function etagOf(file: ClientFile, coding: ContentCoding | undefined): string {
  return coding === undefined ? file.etag : `${file.etag.slice(0, -1)}-${coding}"`;
}

/**
 * `If-None-Match` uses the weak comparison (RFC 9110 §13.1.2): any listed
 * tag naming this file in any representation, with or without `W/`, or `*`.
 */
function notModified(header: string | null, file: ClientFile): boolean {
  if (header === null) return false;
  const base = file.etag.slice(0, -1);
  for (const raw of header.split(",")) {
    const tag = raw.trim().replace(/^W\//, "");
    if (tag === "*" || tag === file.etag) return true;
    if (CONTENT_CODINGS.some((coding) => tag === `${base}-${coding}"`)) return true;
  }
  return false;
}

function compressed(name: string, file: ClientFile, coding: ContentCoding): Promise<Uint8Array> {
  const key = `${coding}:${name}`;
  let body = compressedBodies.get(key);
  if (!body) {
    const stream = new Blob([file.body]).stream().pipeThrough(new CompressionStream(coding));
    body = new Response(stream).arrayBuffer().then((buffer) => new Uint8Array(buffer));
    // a failure is not kept: the next request tries again
    body.catch(() => compressedBodies.delete(key));
    compressedBodies.set(key, body);
  }
  return body;
}
