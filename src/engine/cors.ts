/**
 * CORS for the engine's HTTP answers, with the option shape and behaviour of
 * the `cors` middleware that the official server uses.
 *
 * @module
 */

/** A static origin rule: one origin, a pattern, or a list of either. */
export type StaticOrigin = boolean | string | RegExp | readonly (string | RegExp)[];

/** Which origins may call the server. */
export type CorsOrigin =
  | StaticOrigin
  | ((
    origin: string | undefined,
    callback: (err: Error | null, origin?: StaticOrigin) => void,
  ) => void);

/** CORS options, as for the `cors` package. */
export interface CorsOptions {
  /**
   * `"*"` allows every origin; `true` reflects the request's origin; a string,
   * RegExp or list allows matching origins; a function decides per request.
   * @default "*"
   */
  origin?: CorsOrigin;
  /** Methods allowed in a preflight. @default "GET,HEAD,PUT,PATCH,POST,DELETE" */
  methods?: string | readonly string[];
  /** Request headers allowed in a preflight. @default the requested ones */
  allowedHeaders?: string | readonly string[];
  /** Response headers exposed to the page. */
  exposedHeaders?: string | readonly string[];
  /** Sends `Access-Control-Allow-Credentials: true`. @default false */
  credentials?: boolean;
  /** Preflight cache lifetime in seconds. */
  maxAge?: number;
  /** Status of a successful preflight. @default 204 */
  optionsSuccessStatus?: number;
}

/** The CORS outcome for one request. */
export interface CorsResult {
  /** Headers to add to the answer. */
  headers: [string, string][];
  /** For a preflight (`OPTIONS`), the complete answer. */
  preflight?: Response;
  /** The error an `origin` function reported (or threw); the request is refused. */
  error?: unknown;
}

const DEFAULT_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE";

/** Computes the CORS headers (and a preflight answer) for a request. */
export async function applyCors(req: Request, options: CorsOptions): Promise<CorsResult> {
  const requestOrigin = req.headers.get("origin") ?? undefined;
  const headers: [string, string][] = [];
  let rule: StaticOrigin = "*";
  if (typeof options.origin === "function") {
    const decided = await decideOrigin(options.origin, requestOrigin);
    if ("error" in decided) return { headers, error: decided.error };
    rule = decided.rule;
  } else if (options.origin !== undefined) {
    rule = options.origin;
  }
  // `origin: false` switches CORS off, like the middleware passing the request on
  if (rule === false) return { headers };
  addOrigin(headers, rule, requestOrigin);
  if (options.credentials === true) headers.push(["access-control-allow-credentials", "true"]);
  if (options.exposedHeaders !== undefined) {
    const exposed = list(options.exposedHeaders);
    if (exposed) headers.push(["access-control-expose-headers", exposed]);
  }
  if (req.method !== "OPTIONS") return { headers };

  headers.push(["access-control-allow-methods", list(options.methods ?? DEFAULT_METHODS)]);
  // like `cors`, an empty string reflects the requested headers
  if (options.allowedHeaders) {
    const allowed = list(options.allowedHeaders);
    if (allowed) headers.push(["access-control-allow-headers", allowed]);
  } else {
    const requested = req.headers.get("access-control-request-headers");
    headers.push(["vary", "Access-Control-Request-Headers"]);
    if (requested) headers.push(["access-control-allow-headers", requested]);
  }
  if (options.maxAge !== undefined) {
    headers.push(["access-control-max-age", String(options.maxAge)]);
  }
  const preflight = new Response(null, {
    status: options.optionsSuccessStatus ?? 204,
    headers: [...headers, ["content-length", "0"]],
  });
  return { headers, preflight };
}

type OriginFunction = Extract<CorsOrigin, (...args: never[]) => void>;

function decideOrigin(
  decide: OriginFunction,
  requestOrigin: string | undefined,
): Promise<{ rule: StaticOrigin } | { error: unknown }> {
  return new Promise((resolve) => {
    try {
      decide(requestOrigin, (err, origin) => {
        if (err) resolve({ error: err });
        else resolve({ rule: origin ?? false });
      });
    } catch (error) {
      resolve({ error });
    }
  });
}

function addOrigin(
  headers: [string, string][],
  rule: StaticOrigin,
  requestOrigin: string | undefined,
): void {
  if (rule === "*") {
    headers.push(["access-control-allow-origin", "*"]);
    return;
  }
  if (typeof rule === "string") {
    headers.push(["access-control-allow-origin", rule], ["vary", "Origin"]);
    return;
  }
  headers.push(["vary", "Origin"]);
  if (requestOrigin !== undefined && originAllowed(requestOrigin, rule)) {
    headers.push(["access-control-allow-origin", requestOrigin]);
  }
}

function originAllowed(origin: string, rule: StaticOrigin): boolean {
  if (typeof rule === "boolean") return rule;
  if (typeof rule === "string") return origin === rule;
  if (rule instanceof RegExp) {
    rule.lastIndex = 0;
    return rule.test(origin);
  }
  return rule.some((r) => originAllowed(origin, r));
}

function list(value: string | readonly string[]): string {
  return typeof value === "string" ? value : value.join(",");
}
