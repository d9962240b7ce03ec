/**
 * What the engine scenarios share: the main server's URL, the headers they
 * compare, an HTTP answer in comparable form, and a JSONP conversation.
 *
 * @module
 */

import { ALLOWED_ORIGIN, MAIN_PATH } from "../_support/apps/conf_handlers.ts";
import type { Target } from "./_targets.ts";
import { type HttpAnswer, type NetworkError, pickHeaders, request } from "./_http.ts";
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

/** The string a JSONP answer (`___eio[N]("…");`) carries; the body itself if it is not one. */
function unwrapJsonp(body: string): string {
  const inner = /^___eio\[\d*\]\((.*)\);$/s.exec(body)?.[1];
  return inner === undefined ? body : JSON.parse(inner);
}

/**
 * A JSONP polling conversation (`j=3`) at `base` (a polling handshake URL
 * without `j`): the wrapped handshake, the CONNECT, a POST of `d=` with the
 * escaped newlines and a U+2028 the transport must handle, a POST without `d`,
 * then the close. `frame` makes a payload of the protocol revision.
 */
export async function jsonpConversation(
  base: string,
  ids: Ids,
  frame: (packets: string[]) => string,
): Promise<unknown> {
  const open = await request(`${base}&j=3`);
  if ("error" in open) return open;
  const sid = /"sid":"([^"]+)"/.exec(unwrapJsonp(open.body))?.[1];
  if (!sid) return seen(open);
  ids.add("sid", sid);
  const url = `${base}&j=3&sid=${sid}`;
  const form = (body: string) =>
    request(url, {
      method: "POST",
      body,
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
  const handshake = seen(open) as { body: string };
  // a v3 open packet's length counts the sid, longer on Cloudflare: compared as with 20 characters
  handshake.body = handshake.body.replace(
    /^(___eio\[3\]\(")(\d+):/,
    (_, head, n) => `${head}${Number(n) - (sid.length - 20)}:`,
  );
  const out: unknown[] = [handshake];
  const poll = async () => {
    const answer = await request(url);
    // the ids inside are JSON-escaped: found in the unwrapped string
    if (!("error" in answer)) ids.scan(unwrapJsonp(answer.body));
    return seen(answer, ids);
  };
  if (!base.includes("EIO=3")) out.push(seen(await form("d=40")));
  out.push(await poll());
  // a JSON "\n" (escaped by the client as "\\n"), a newline ("\n"), and a U+2028 that the
  // answer must escape
  const events = frame(['421["echo","a\\nb"]', '422["echo",\n"c"]', '423["echo","\u2028"]']);
  const escaped = events.replace(/\\n/g, "\\\\n").replace(/\n/g, "\\n");
  out.push(seen(await form(`d=${encodeURIComponent(escaped)}`)));
  out.push(await poll());
  out.push(seen(await form("x=1")));
  out.push(seen(await form(`d=${encodeURIComponent(frame(["1"]))}`)));
  return out;
}
