/**
 * A tiny logger in the style of the `debug` package: namespaced loggers
 * (`sio-edge:engine`, `sio-edge:socket`, ...) that are silent until a
 * `DEBUG`-style pattern enables them, or until a sink is given to them.
 *
 * The core never reads the environment: a runtime module or the application
 * calls {@link setDebug} (or {@link debugFromEnv} with its own lookup, e.g.
 * `(name) => Deno.env.get(name)`), or passes a {@link LogSink} as an option.
 *
 * @example
 * ```ts
 * import { createLogger, setDebug, setLogSink } from "./logger.ts";
 * const lines: string[] = [];
 * setLogSink((namespace, message) => lines.push(`${namespace} ${message}`));
 * const log = createLogger("sio-edge:engine");
 * log("silent: %s", "nothing enabled yet");
 * setDebug("sio-edge:*");
 * log("handshake %s", "sid-1");
 * setDebug(undefined);
 * setLogSink(undefined);
 * if (lines.length !== 1 || !lines[0]!.startsWith("sio-edge:engine handshake sid-1")) {
 *   throw new Error(String(lines));
 * }
 * ```
 *
 * @module
 */

/** Receives each enabled log line: the logger's namespace and the formatted message. */
export type LogSink = (namespace: string, message: string) => void;

/** A namespaced logger: call it like `console.log` with `%s %d %j %o` placeholders. */
export interface Logger {
  /** Formats and emits one line when enabled; does nothing (and formats nothing) otherwise. */
  (format: string, ...args: unknown[]): void;
  /** The namespace, e.g. `"sio-edge:engine"`. */
  readonly namespace: string;
  /** Whether a call emits a line; check it before computing costly arguments. */
  readonly enabled: boolean;
  /** A logger for `"<namespace>:<suffix>"` with the same options. */
  extend(suffix: string): Logger;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /**
   * Receives every line of this logger, whatever the `DEBUG` pattern says:
   * this is how an application routes the library's logs to its own logger.
   * @default the global sink, and only for namespaces the pattern enables
   */
  sink?: LogSink | undefined;
  /**
   * The current time in milliseconds, for the `+Nms` since the previous line.
   * @default Date.now
   */
  now?: (() => number) | undefined;
}

type Pattern = { names: RegExp[]; skips: RegExp[] };

let enabledPattern: Pattern = { names: [], skips: [] };
/** Bumped by {@link setDebug}, so loggers recompute `enabled` only after a change. */
let generation = 0;
let globalSink: LogSink | undefined;

/**
 * Enables the namespaces matching `pattern`, with the syntax of `DEBUG`:
 * names separated by commas or spaces, `*` as a wildcard, and a leading `-`
 * to exclude (`"sio-edge:*,-sio-edge:engine"`). `undefined` or `""` turns
 * every logger off.
 */
export function setDebug(pattern: string | undefined): void {
  const names: RegExp[] = [];
  const skips: RegExp[] = [];
  for (const part of (pattern ?? "").split(/[\s,]+/)) {
    if (!part) continue;
    const skip = part.startsWith("-");
    const source = (skip ? part.slice(1) : part)
      .replace(/[.+?^${}()|[\]\\]/g, "\\$&")
      .replaceAll("*", ".*?");
    (skip ? skips : names).push(new RegExp(`^${source}$`));
  }
  enabledPattern = { names, skips };
  generation++;
}

/**
 * Reads `DEBUG` through `lookup` and applies it with {@link setDebug}. A
 * lookup that throws (no permission to read the environment) or finds
 * nothing leaves the current setting alone.
 *
 * @example
 * ```ts ignore
 * debugFromEnv((name) => Deno.env.get(name));   // Deno
 * debugFromEnv((name) => process.env[name]);    // Node, Bun
 * debugFromEnv((name) => env[name]);            // a Worker's bindings
 * ```
 */
export function debugFromEnv(lookup: (name: string) => string | undefined): void {
  let value: string | undefined;
  try {
    value = lookup("DEBUG");
  } catch {
    return;
  }
  if (typeof value === "string") setDebug(value);
}

/** Whether `namespace` matches the current pattern (exclusions win). */
export function isDebugEnabled(namespace: string): boolean {
  const { names, skips } = enabledPattern;
  if (skips.some((re) => re.test(namespace))) return false;
  return names.some((re) => re.test(namespace));
}

/**
 * Sets where lines of loggers without their own sink go; `undefined`
 * restores the default, `console.error` (standard error, as `debug` does).
 */
export function setLogSink(sink: LogSink | undefined): void {
  globalSink = sink;
}

/** Creates a logger for `namespace`; see {@link LoggerOptions}. */
export function createLogger(namespace: string, options: LoggerOptions = {}): Logger {
  const { sink, now = Date.now } = options;
  let seenGeneration = -1;
  let enabled = false;
  let previous: number | undefined;
  const isEnabled = (): boolean => {
    if (sink) return true;
    if (seenGeneration !== generation) {
      seenGeneration = generation;
      enabled = isDebugEnabled(namespace);
    }
    return enabled;
  };
  const log = (format: string, ...args: unknown[]): void => {
    if (!isEnabled()) return;
    const time = now();
    const diff = previous === undefined ? 0 : time - previous;
    previous = time;
    const message = `${formatMessage(format, args)} +${diff}ms`;
    try {
      (sink ?? globalSink ?? consoleSink)(namespace, message);
    } catch {
      // logging must never break the server
    }
  };
  return Object.defineProperties(log, {
    namespace: { value: namespace, enumerable: true },
    enabled: { get: isEnabled, enumerable: true },
    extend: { value: (suffix: string) => createLogger(`${namespace}:${suffix}`, options) },
  }) as Logger;
}

/**
 * Replaces `%s` (string), `%d`/`%i` (number), `%j`/`%o`/`%O` (JSON) and
 * `%%` in `format`; arguments left over are appended, separated by spaces.
 */
export function formatMessage(format: string, args: readonly unknown[]): string {
  let i = 0;
  const text = format.replace(/%([sdijoO%])/g, (match, kind: string) => {
    if (kind === "%") return "%";
    if (i >= args.length) return match;
    const arg = args[i++];
    if (kind === "s") return typeof arg === "string" ? arg : inspect(arg);
    if (kind === "d") return String(Number(arg));
    if (kind === "i") return String(Math.trunc(Number(arg)));
    return inspect(arg);
  });
  const rest = args.slice(i).map((arg) => typeof arg === "string" ? arg : inspect(arg));
  return rest.length ? `${text} ${rest.join(" ")}` : text;
}

function inspect(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === "bigint") return `${value}n`;
  if (value === undefined || typeof value === "function" || typeof value === "symbol") {
    return String(value);
  }
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return "[Unserializable]"; // circular, or a throwing toJSON
  }
}

function consoleSink(namespace: string, message: string): void {
  console.error(`${namespace} ${message}`);
}
