/**
 * The options of the Socket.IO server and their defaults.
 *
 * @module
 */

import type { EngineOptions } from "../engine/options.ts";
import type { AdapterConstructor } from "../adapter/adapter.ts";
import { type Clock, systemClock } from "../util/clock.ts";
import { DEFAULT_MAX_DEPTH } from "../parser/socket_decoder.ts";
import { DEFAULT_MAX_ENCODE_DEPTH, encodePacket } from "../parser/socket_packet.ts";
import type { PacketEncoder, Parser } from "../parser/parser.ts";

/** Connection state recovery settings. */
export interface ConnectionStateRecoveryOptions {
  /**
   * How long the sessions and packets of disconnected clients are kept (ms).
   * @default {120000}
   */
  maxDisconnectionDuration?: number;
  /**
   * Whether a recovered socket skips the middlewares.
   * @default {true}
   */
  skipMiddlewares?: boolean;
}

/** Options of the Socket.IO server; every Engine.IO option is passed through. */
export interface ServerOptions extends Omit<EngineOptions, "path"> {
  /**
   * The path the server answers under.
   * @default {"/socket.io/"}
   */
  path?: string;
  /**
   * How long a connection may stay without joining a namespace (ms).
   * @default {45000}
   */
  connectTimeout?: number;
  /**
   * Enables connection state recovery (and the session-aware adapter).
   * @default {undefined} (disabled)
   */
  connectionStateRecovery?: ConnectionStateRecoveryOptions;
  /**
   * Whether child namespaces of a parent namespace are removed once empty.
   * @default {false}
   */
  cleanupEmptyChildNamespaces?: boolean;
  /**
   * Whether the official browser client is served under the path
   * (`/socket.io/socket.io.min.js`, ...), loaded on the first such request.
   * @default {true}
   */
  serveClient?: boolean;
  /**
   * The adapter class (or factory) of each namespace.
   * @default {Adapter} ({SessionAwareAdapter} with connection state recovery)
   */
  adapter?: AdapterConstructor;
  /**
   * The deepest nesting of arrays and objects in a client's packet
   * (`["ev",[1]]` is 2 deep). A deeper packet closes its connection with
   * "parse error", before any handler sees it.
   * @default {1000}
   */
  maxDepth?: number;
  /**
   * How deep the built-in encoder follows the data of an emit (the
   * application's, not a client's) looking for binary. Deeper data — which
   * is circular data, in practice — makes the emit throw a `RangeError`
   * instead of walking forever. A custom `parser` has its own bounds.
   * @default {100000}
   */
  maxEncodeDepth?: number;
  /**
   * The Socket.IO parser: any object with the official `Encoder` and
   * `Decoder` classes (`sio-edge/msgpack`, `socket.io-msgpack-parser`, your
   * own). Its one encoder encodes each broadcast once; each connection gets a
   * decoder, and a decoder's throw closes the connection with "parse error".
   * @default {the built-in JSON parser (socket.io-parser's format)}
   */
  parser?: Parser;
  /**
   * The clock of every timer (shared with the engine).
   * @default {systemClock}
   */
  clock?: Clock;
}

/** The resolved settings the socket layer reads. */
export interface ServerSettings {
  readonly path: string;
  readonly connectTimeout: number;
  readonly connectionStateRecovery: Required<ConnectionStateRecoveryOptions> | undefined;
  readonly cleanupEmptyChildNamespaces: boolean;
  readonly maxDepth: number;
  readonly clock: Clock;
  /** The custom parser, if one was given. */
  readonly parser: Parser | undefined;
  /**
   * Its encoder (one for the server), if a parser was given; the built-in
   * encoder bounded by `maxEncodeDepth` when that is not the default.
   */
  readonly encoder: PacketEncoder | undefined;
}

const DEFAULT_MAX_DISCONNECTION_DURATION = 2 * 60 * 1000;

/** Applies the defaults; throws a `RangeError` on a bad number. */
export function resolveSettings(opts: ServerOptions): ServerSettings {
  const connectTimeout = opts.connectTimeout ?? 45_000;
  if (!Number.isFinite(connectTimeout) || connectTimeout <= 0) {
    throw new RangeError(
      `Option "connectTimeout" must be a positive number, got ${connectTimeout}`,
    );
  }
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) {
    throw new RangeError(`Option "maxDepth" must be a positive integer, got ${maxDepth}`);
  }
  const maxEncodeDepth = opts.maxEncodeDepth ?? DEFAULT_MAX_ENCODE_DEPTH;
  if (!Number.isSafeInteger(maxEncodeDepth) || maxEncodeDepth < 1) {
    throw new RangeError(
      `Option "maxEncodeDepth" must be a positive integer, got ${maxEncodeDepth}`,
    );
  }
  const csr = opts.connectionStateRecovery;
  const recovery = csr
    ? {
      maxDisconnectionDuration: csr.maxDisconnectionDuration ?? DEFAULT_MAX_DISCONNECTION_DURATION,
      skipMiddlewares: csr.skipMiddlewares ?? true,
    }
    : undefined;
  if (recovery && !(recovery.maxDisconnectionDuration >= 0)) {
    throw new RangeError(
      `Option "maxDisconnectionDuration" must be a non-negative number, got ${recovery.maxDisconnectionDuration}`,
    );
  }
  return {
    path: (opts.path ?? "/socket.io").replace(/\/$/, ""),
    connectTimeout,
    connectionStateRecovery: recovery,
    cleanupEmptyChildNamespaces: opts.cleanupEmptyChildNamespaces === true,
    maxDepth,
    clock: opts.clock ?? systemClock,
    parser: opts.parser,
    encoder: opts.parser
      ? new opts.parser.Encoder()
      : maxEncodeDepth === DEFAULT_MAX_ENCODE_DEPTH
      ? undefined
      : { encode: (packet) => encodePacket(packet, maxEncodeDepth) },
  };
}
