/**
 * What the engine scenarios share: the main server's URL, the headers they
 * compare, and an HTTP answer in comparable form.
 *
 * @module
 */

import { ALLOWED_ORIGIN, MAIN_PATH } from "../_support/apps/conf_handlers.ts";
import type { Target } from "./_targets.ts";
import { type HttpAnswer, type NetworkError, pickHeaders } from "./_http.ts";
import type { Ids } from "./_ids.ts";
import { SEP } from "./_wire.ts";

/** The main server's engine URL. */
export const main = (t: Target): string => `${t.url}${MAIN_PATH}/`;
/** Request headers of a page on the allowed origin. */
export const FROM_A = { origin: ALLOWED_ORIGIN };

/** The headers whose presence and value the official server's answers fix. */
export const HEADERS = [
  "content-type",
  "cache-control",
  "access-control-allow-origin",
  "access-control-allow-credentials",
  "access-control-allow-methods",
  "access-control-allow-headers",
  "access-control-expose-headers",
  "vary",
];

/** An HTTP answer as compared: status, the {@link HEADERS} it has, body (or the network error). */
export function seen(answer: HttpAnswer | NetworkError, ids?: Ids): unknown {
  if ("error" in answer) return answer;
  if (ids && answer.body.startsWith("0{")) ids.scan(answer.body.split(SEP)[0]!);
  return { status: answer.status, headers: pickHeaders(answer, HEADERS), body: answer.body };
}

/** A WebSocket upgrade request head for `path`. */
export function upgradeRequest(path: string, extra = ""): string {
  return `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
    `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`;
}
