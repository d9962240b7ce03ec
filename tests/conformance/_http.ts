/**
 * Raw HTTP for the conformance suite: `fetch` with a bounded wait, and a
 * hand-written request over TCP for WebSocket upgrades that are refused.
 *
 * @module
 */

import { connect } from "node:net";

/** What an HTTP answer looked like. */
export interface HttpAnswer {
  status: number;
  /** The content-type header, or null. */
  type: string | null;
  body: string;
  headers: Headers;
}

/** A request whose transport failed (reset, refused) instead of answering. */
export interface NetworkError {
  error: "network";
}

/** `fetch` with a bounded wait; a failed connection becomes {@link NetworkError}. */
export async function request(
  url: string,
  init: RequestInit = {},
  timeoutMs = 5_000,
): Promise<HttpAnswer | NetworkError> {
  const timeout = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { ...init, signal: timeout });
  } catch (err) {
    if (timeout.aborted) throw new Error(`no answer to ${init.method ?? "GET"} ${url}`);
    void err;
    return { error: "network" };
  }
  const body = await res.text().catch(() => "<body cut>");
  return { status: res.status, type: res.headers.get("content-type"), body, headers: res.headers };
}

/** The headers of `answer` named in `names` (absent ones left out), for comparison. */
export function pickHeaders(answer: HttpAnswer, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = answer.headers.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

/** What a raw exchange on a socket saw: the status line's code, the head, and what followed. */
export interface RawAnswer {
  status: number;
  /** The content-type header (any case), or null. */
  type: string | null;
  /** What came after the head, as latin1 text. */
  body: string;
}

/**
 * Writes `head` (a complete request head) to 127.0.0.1:`port` and collects
 * the answer until the server ends the connection, or `quietMs` after the
 * last byte (an upgraded socket stays open), or `timeoutMs` in all.
 */
export function rawExchange(
  port: number,
  head: string,
  quietMs = 300,
  timeoutMs = 3_000,
): Promise<RawAnswer | { error: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let data = "";
    let quiet: ReturnType<typeof setTimeout> | undefined;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(quiet);
      clearTimeout(overall);
      socket.destroy();
      const end = data.indexOf("\r\n\r\n");
      if (end === -1) return resolve({ error: data === "" ? "no answer" : `cut: ${data}` });
      const [status, ...lines] = data.slice(0, end).split("\r\n");
      const type = lines.find((l) => /^content-type:/i.test(l))?.slice(13).trim() ?? null;
      resolve({ status: Number(status!.split(" ")[1]), type, body: data.slice(end + 4) });
    };
    const overall = setTimeout(finish, timeoutMs);
    socket.setEncoding("latin1");
    socket.on("connect", () => socket.write(head));
    socket.on("data", (chunk: string) => {
      data += chunk;
      clearTimeout(quiet);
      quiet = setTimeout(finish, quietMs);
    });
    socket.on("error", finish);
    socket.on("close", finish);
  });
}
