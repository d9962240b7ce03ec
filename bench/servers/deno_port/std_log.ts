/**
 * A local stand-in for `https://deno.land/std@0.150.0/log/mod.ts`, the one
 * remote module the official Deno port (socket.io-deno 0.2) imports
 * (`deps.ts`: `getLogger`), which cannot be fetched here. The import map next
 * to this file points the port at it.
 *
 * It keeps the work std's logger does for a name nobody configured, which is
 * every name the port logs under in the benchmark: the logger has level
 * NOTSET and no handlers, so each `debug`/`info`/… call builds its message,
 * makes a log record (message, arguments, level, logger name, a `Date`) and
 * hands it to no handler. Dropping the calls instead would make the port
 * cheaper than it runs for its users.
 *
 * @module
 */

/** std's numeric levels. */
const LEVELS = { NOTSET: 0, DEBUG: 10, INFO: 20, WARNING: 30, ERROR: 40, CRITICAL: 50 } as const;

/** What std's logger hands its handlers. */
class LogRecord {
  readonly datetime: Date = new Date();
  constructor(
    readonly msg: string,
    readonly args: unknown[],
    readonly level: number,
    readonly loggerName: string,
  ) {}
}

/** A logger with std's level check and record construction, and no handlers. */
export class Logger {
  readonly handlers: { handle(record: LogRecord): void }[] = [];
  constructor(readonly loggerName: string, readonly level: number = LEVELS.NOTSET) {}

  #log(level: number, msg: unknown, args: unknown[]): unknown {
    if (this.level > level) return typeof msg === "function" ? undefined : msg;
    const value = typeof msg === "function" ? (msg as () => unknown)() : msg;
    const text = typeof value === "string" ? value : String(value);
    const record = new LogRecord(text, args, level, this.loggerName);
    for (const handler of this.handlers) handler.handle(record);
    return value;
  }

  /** Logs at DEBUG. */
  debug(msg: unknown, ...args: unknown[]): unknown {
    return this.#log(LEVELS.DEBUG, msg, args);
  }
  /** Logs at INFO. */
  info(msg: unknown, ...args: unknown[]): unknown {
    return this.#log(LEVELS.INFO, msg, args);
  }
  /** Logs at WARNING. */
  warning(msg: unknown, ...args: unknown[]): unknown {
    return this.#log(LEVELS.WARNING, msg, args);
  }
  /** Logs at ERROR. */
  error(msg: unknown, ...args: unknown[]): unknown {
    return this.#log(LEVELS.ERROR, msg, args);
  }
  /** Logs at CRITICAL. */
  critical(msg: unknown, ...args: unknown[]): unknown {
    return this.#log(LEVELS.CRITICAL, msg, args);
  }
}

const loggers = new Map<string, Logger>();

/** The logger called `name` (made on first use, level NOTSET, no handlers). */
export function getLogger(name = "default"): Logger {
  let logger = loggers.get(name);
  if (!logger) loggers.set(name, logger = new Logger(name));
  return logger;
}
