/**
 * The official suite's `url.ts` imports `url(uri, path, loc)` from the
 * client's build: this maps sio-edge's parser onto the shape those tests read
 * (`protocol`, `host`, `port`, `path`, `id`, `href`, `query`).
 *
 * @module
 */

import { url as parse } from "../../../src/client/_lookup.ts";

/** `url()` with the official result shape. */
export function url(uri: string | undefined, path = "", loc?: Location) {
  const parsed = parse(uri, path, loc);
  const u = parsed.url;
  const port = u.port || (/^(https|wss):$/.test(u.protocol) ? "443" : "80");
  return {
    protocol: u.protocol.slice(0, -1),
    host: u.hostname.replace(/^\[|\]$/g, ""),
    port,
    path: parsed.path,
    id: parsed.id,
    href: u.protocol + "//" + u.host + (u.port ? "" : ":" + port) + u.pathname + u.search,
    query: u.search.slice(1),
    source: u.href,
  };
}
