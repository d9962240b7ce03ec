/**
 * The error the parser codecs throw on malformed input.
 *
 * @module
 */

/**
 * Thrown when input from the wire is not a valid packet. A protocol fault,
 * not a programming error: the caller closes the connection.
 *
 * @example
 * ```ts
 * import { ParseError } from "./parse_error.ts";
 * const err = new ParseError('Cannot decode packet "9": unknown type');
 * if (!(err instanceof SyntaxError) || err.name !== "ParseError") {
 *   throw new Error("wrong error class");
 * }
 * ```
 */
export class ParseError extends SyntaxError {
  override name = "ParseError";
}
