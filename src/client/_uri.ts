/**
 * The one parser of server URIs, shared by `io()` and the engine: `io()`
 * parses once and hands the result down, so the engine does not parse again.
 *
 * @module
 */

import { pageLocation } from "../util/host.ts";

/**
 * Completes `uri` as socket.io-client does (relative to `location` in
 * browsers: "//host", "/path", "host:port" without a scheme) and parses it.
 * No URI: the page's host, else `http://localhost`.
 */
export function parseUri(uri?: string, loc: Location | undefined = pageLocation()): URL {
  let text = uri ?? (loc ? loc.protocol + "//" + loc.host : "http://localhost");
  if (text.startsWith("//")) text = (loc?.protocol ?? "https:") + text;
  else if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    text = (loc ? loc.protocol + "//" + (text[0] === "/" ? loc.host : "") : "https://") + text;
  }
  return new URL(text);
}

/** Whether a URL's scheme is a secure one. */
export function isSecure(url: URL): boolean {
  return /^(https|wss):$/.test(url.protocol);
}

/** The port of `url`, the scheme's default if none is written. */
export function portOf(url: URL): string {
  return url.port || (isSecure(url) ? "443" : "80");
}
