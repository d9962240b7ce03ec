/**
 * What a session keeps of its handshake request: the URL, the method and the
 * headers as plain strings, from which `socket.request` is rebuilt only when
 * someone reads it. A runtime's `Request` (with its signal, body stream and
 * headers object) costs far more memory per idle connection.
 *
 * @module
 */

/** The parts of a handshake request a session keeps. */
export interface RequestHead {
  /** The full request URL. */
  readonly url: string;
  /** The HTTP method. */
  readonly method: string;
  /** The headers as `name, value, name, value, …` (names lower-cased). */
  readonly headers: readonly string[];
}

/** Reads the parts of `req` a session keeps (before an upgrade: Deno forgets them after). */
export function requestHead(req: Request): RequestHead {
  const headers: string[] = [];
  try {
    req.headers.forEach((value, name) => void headers.push(name, value));
  } catch {
    // Deno closes a request once it is upgraded to a WebSocket: its headers are gone
  }
  return { url: req.url, method: req.method, headers };
}

/** A `Request` with the URL, method and headers of `head` (and no body). */
export function requestFromHead(head: RequestHead): Request {
  const headers = new Headers();
  const list = head.headers;
  for (let i = 0; i + 1 < list.length; i += 2) headers.append(list[i]!, list[i + 1]!);
  return new Request(head.url, { method: head.method, headers });
}
