/**
 * The checks every request passes before the engine acts on it, in the
 * official server's order: transport, Origin header, sid (or, for a
 * handshake, method, upgrade, `allowRequest`, protocol version).
 *
 * @module
 */

import { runAllowRequest } from "./_allow_request.ts";
import { ErrorCode } from "./errors.ts";
import type { AllowRequest } from "./options.ts";
import type { TransportName } from "./transport.ts";
import type { QueryParams } from "./_query.ts";

/** A refused request: its error code and the `connection_error` context. */
export interface Refusal {
  code: ErrorCode;
  context: Record<string, unknown>;
}

/** What the checks need to know about the server. */
export interface Verifier {
  readonly transports: readonly string[];
  readonly allowRequest: AllowRequest | undefined;
  /** Whether Engine.IO v3 handshakes are served. */
  readonly allowEIO3?: boolean;
}

/** What the server knows of a request before checking it. */
export interface RequestFacts {
  /** Whether it asks for a WebSocket upgrade. */
  readonly isUpgrade: boolean;
  /** Its sid ({@link sessionId}); undefined for a handshake. */
  readonly sid: string | undefined;
  /** The current transport of that session, if it is live (the one store lookup). */
  readonly sessionTransport: TransportName | undefined;
}

/** The sid of a request; an empty `sid=` means a handshake, as for the official server. */
export function sessionId(query: QueryParams): string | undefined {
  return query.get("sid") || undefined;
}

/**
 * Checks a request; `undefined` when it may proceed. Only a handshake may
 * need to wait (for `allowRequest`): the answer is a promise only then.
 */
export function verifyRequest(
  req: Request,
  query: QueryParams,
  facts: RequestFacts,
  verifier: Verifier,
): Refusal | undefined | Promise<Refusal | undefined> {
  const { isUpgrade, sid } = facts;
  const transport = query.get("transport");
  if (transport === null || !verifier.transports.includes(transport)) {
    return { code: ErrorCode.UNKNOWN_TRANSPORT, context: { transport: transport ?? undefined } };
  }
  const origin = req.headers.get("origin");
  if (origin !== null && hasInvalidHeaderChar(origin)) {
    return { code: ErrorCode.BAD_REQUEST, context: { name: "INVALID_ORIGIN", origin } };
  }
  // polling cannot take a WebSocket handshake (the official server accepts the
  // socket and closes it at once; refusing up front says the same, sooner)
  if (isUpgrade && transport !== "websocket") {
    const error = "transport does not handle upgrades";
    return { code: ErrorCode.BAD_REQUEST, context: { name: "TRANSPORT_HANDSHAKE_ERROR", error } };
  }
  if (sid !== undefined) {
    const previousTransport = facts.sessionTransport;
    if (!previousTransport) return { code: ErrorCode.UNKNOWN_SID, context: { sid } };
    if (!isUpgrade && previousTransport !== transport) {
      const context = { name: "TRANSPORT_MISMATCH", transport, previousTransport };
      return { code: ErrorCode.BAD_REQUEST, context };
    }
    return undefined;
  }
  return verifyHandshake(req, query, transport, isUpgrade, verifier);
}

async function verifyHandshake(
  req: Request,
  query: QueryParams,
  transport: string,
  isUpgrade: boolean,
  verifier: Verifier,
): Promise<Refusal | undefined> {
  if (req.method !== "GET") {
    return { code: ErrorCode.BAD_HANDSHAKE_METHOD, context: { method: req.method } };
  }
  if (transport === "websocket" && !isUpgrade) {
    const error = "invalid transport upgrade";
    return { code: ErrorCode.BAD_REQUEST, context: { name: "TRANSPORT_HANDSHAKE_ERROR", error } };
  }
  if (verifier.allowRequest) {
    const message = await runAllowRequest(verifier.allowRequest, req);
    if (message !== true) {
      return { code: ErrorCode.FORBIDDEN, context: message === undefined ? {} : { message } };
    }
  }
  // protocol v4, and v3 with allowEIO3; a missing EIO means v3 (engine.io 6.x, handshake())
  const eio = query.get("EIO");
  if (eio !== "4" && !(verifier.allowEIO3 && (eio === "3" || eio === null))) {
    return { code: ErrorCode.UNSUPPORTED_PROTOCOL_VERSION, context: { protocol: 3 } };
  }
  return undefined;
}

/**
 * Whether a header value holds a control character other than tab (RFC 7230
 * field-vchar); the official server refuses such an Origin. Fetch's `Headers`
 * lets them through (only NUL, CR and LF are banned there).
 */
function hasInvalidHeaderChar(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 32 && c !== 9) || c === 127) return true;
  }
  return false;
}
