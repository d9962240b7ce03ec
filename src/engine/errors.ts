/**
 * The Engine.IO error codes and messages, exactly as the official server
 * answers them.
 *
 * @module
 */

/** Engine.IO handshake and request error codes. */
export const ErrorCode = {
  UNKNOWN_TRANSPORT: 0,
  UNKNOWN_SID: 1,
  BAD_HANDSHAKE_METHOD: 2,
  BAD_REQUEST: 3,
  FORBIDDEN: 4,
  UNSUPPORTED_PROTOCOL_VERSION: 5,
} as const;

/** One of the {@link ErrorCode} values. */
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode];

/** The official message of each error code. */
export const ERROR_MESSAGES: Readonly<Record<ErrorCode, string>> = {
  0: "Transport unknown",
  1: "Session ID unknown",
  2: "Bad handshake method",
  3: "Bad request",
  4: "Forbidden",
  5: "Unsupported protocol version",
};

/** Details of a refused request, as carried by the `connection_error` event. */
export interface ConnectionError {
  req: Request;
  code: ErrorCode;
  message: string;
  context: Record<string, unknown>;
}

/**
 * The JSON answer to a refused HTTP request: 403 for Forbidden, 400 otherwise;
 * the body is `{"code":N,"message":"…"}` where a context `message` (from
 * `allowRequest`) replaces the default text.
 */
export function errorResponse(
  code: ErrorCode,
  context: Record<string, unknown>,
  headers: Headers,
): Response {
  const message = customMessage(context) ?? ERROR_MESSAGES[code];
  headers.set("content-type", "application/json");
  return new Response(JSON.stringify({ code, message }), {
    status: code === ErrorCode.FORBIDDEN ? 403 : 400,
    headers,
  });
}

/**
 * The answer to a refused WebSocket upgrade: the official server writes a
 * plain `400 Bad Request` with the message as its body.
 */
export function upgradeErrorResponse(
  code: ErrorCode,
  context: Record<string, unknown>,
): Response {
  const message = customMessage(context) ?? ERROR_MESSAGES[code];
  return new Response(message, {
    status: 400,
    headers: { "content-type": "text/html", connection: "close" },
  });
}

/** A non-empty `message` from the context (an `allowRequest` refusal) replaces the default. */
function customMessage(context: Record<string, unknown>): string | undefined {
  const message = context.message;
  return typeof message === "string" && message !== "" ? message : undefined;
}
