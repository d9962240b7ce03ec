/**
 * Raw HTTP/1.1 over a TCP socket, for requests `fetch` refuses to send (such
 * as WebSocket handshakes whose answer is an ordinary response).
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { connect } from "node:net";

/** A parsed HTTP response. */
export interface RawResponse {
  /** The status code. */
  status: number;
  /** Header names lower-cased; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** The body as text. */
  body: string;
}

/**
 * Sends `request` (a complete request head, CRLF line ends) to 127.0.0.1 and
 * reads one response, or rejects after `timeoutMs`.
 */
export function rawRequest(port: number, request: string, timeoutMs = 5_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let data = Buffer.alloc(0);
    const finish = (err: Error | undefined, res?: RawResponse) => {
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(res!);
    };
    const timer = setTimeout(
      () => finish(new Error(`no response within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.on("error", (err) => finish(err));
    socket.on("connect", () => socket.write(request));
    socket.on("data", (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      const res = _parse(data, false);
      if (res) finish(undefined, res);
    });
    socket.on("end", () => {
      const res = _parse(data, true);
      finish(res ? undefined : new Error(`incomplete response: ${data.toString("latin1")}`), res);
    });
  });
}

function _parse(data: Buffer, ended: boolean): RawResponse | undefined {
  const end = data.indexOf("\r\n\r\n");
  if (end === -1) return undefined;
  const [statusLine, ...lines] = data.subarray(0, end).toString("latin1").split("\r\n");
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
  }
  const body = data.subarray(end + 4);
  const length = headers["content-length"];
  if (length === undefined ? !ended : body.byteLength < Number(length)) return undefined;
  return {
    status: Number(statusLine!.split(" ")[1]),
    headers,
    body: body.toString("utf8"),
  };
}
