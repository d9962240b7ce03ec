/**
 * What every transport shares, and the WebSocket-only engine too: the
 * options they read, the request URI, `fetch` with the extra headers, and the
 * errors (`TransportError`, the parser error).
 *
 * @module
 */

/** The engine options a transport reads (see `EngineOptions` in engine.ts). */
export interface TransportOptions {
  hostname: string;
  secure: boolean;
  port: string;
  path: string;
  query: Record<string, string>;
  timestampRequests?: boolean;
  timestampParam?: string;
  forceBase64?: boolean;
  withCredentials?: boolean;
  extraHeaders?: Record<string, string>;
  protocols?: string | string[];
  requestTimeout?: number;
  fetch?: typeof fetch;
  [option: string]: unknown;
}

/** The details of a transport error, as in engine.io-client's `TransportError`. */
export class TransportError extends Error {
  /** Always `"TransportError"`. */
  readonly type = "TransportError";
  /** What failed: an HTTP status, an event or an error. */
  declare readonly description: unknown;
  /** The failed response or socket, when there is one. */
  declare readonly context?: unknown;
  /** Makes the error. */
  constructor(reason: string, description: unknown, context?: unknown) {
    super(reason);
    this.description = description;
    this.context = context;
  }
}

/**
 * What a malformed packet from the server becomes: engine.io-client's
 * `Error("server error")` with `code: "parser error"`.
 */
export function parserError(): Error {
  return Object.assign(new Error("server error"), { code: "parser error" });
}

/** The request URI for `schema` ("http(s)" or "ws(s)") with `query` (never empty: EIO, transport). */
export function requestUri(
  o: TransportOptions,
  query: Record<string, string>,
  schema: string,
): string {
  const params = new URLSearchParams(query);
  const host = o.hostname.includes(":") ? "[" + o.hostname + "]" : o.hostname;
  const port = o.port && o.port !== (o.secure ? "443" : "80") ? ":" + o.port : "";
  return schema + (o.secure ? "s" : "") + "://" + host + port + o.path + "?" + params;
}

/** `fetch` (or `using`) with the extra headers and the credentials mode. */
export function request(
  o: TransportOptions,
  uri: string,
  init: RequestInit,
  using: typeof fetch | undefined = o.fetch,
): Promise<Response> {
  return (using ?? fetch)(uri, {
    ...init,
    headers: { ...o.extraHeaders, ...(init.headers as Record<string, string>) },
    credentials: o.withCredentials ? "include" : "omit",
  });
}
