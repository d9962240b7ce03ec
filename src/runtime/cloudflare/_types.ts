/**
 * The parts of the Workers runtime the Cloudflare glue uses, typed
 * structurally so that sio-edge type-checks without `@cloudflare/workers-types`
 * (and so that tests can hand in fakes).
 *
 * @module
 */

/** A WebSocket of the Workers runtime, with the hibernation extensions. */
export interface CfWebSocket {
  /** Sends a text or binary frame. */
  send(data: string | ArrayBuffer | ArrayBufferView): void;
  /** Starts the closing handshake. */
  close(code?: number, reason?: string): void;
  /** 0 connecting, 1 open, 2 closing, 3 closed. */
  readonly readyState: number;
  /** Keeps a structured-clonable value with the socket across hibernation (at most 16 KiB). */
  serializeAttachment(value: unknown): void;
  /** The value last given to `serializeAttachment`, or null. */
  deserializeAttachment(): unknown;
}

/** The key-value and alarm API of a Durable Object's storage. */
export interface CfStorage {
  /** Reads one key. */
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** Writes one key. */
  put(key: string, value: unknown): Promise<void>;
  /** Deletes one key; resolves with whether it existed. */
  delete(key: string): Promise<boolean>;
  /** Deletes keys (at most 128); resolves with how many existed. */
  delete(keys: string[]): Promise<number>;
  /** The entries in key order: `start` inclusive, `end` exclusive. */
  list<T = unknown>(options?: CfListOptions): Promise<Map<string, T>>;
  /** When the alarm is due (ms since the epoch), or null. */
  getAlarm(): Promise<number | null>;
  /** Schedules the alarm (replacing a pending one). */
  setAlarm(scheduledTime: number): Promise<void>;
  /** Cancels the alarm. */
  deleteAlarm(): Promise<void>;
}

/** Options of {@link CfStorage.list}. */
export interface CfListOptions {
  /** Only keys starting with this. */
  prefix?: string;
  /** The first key (inclusive). */
  start?: string;
  /** The key to stop before (exclusive). */
  end?: string;
  /** At most this many entries. */
  limit?: number;
}

/** The id of a Durable Object. */
export interface CfObjectId {
  /** 64 hex digits. */
  toString(): string;
  /** The name it was made from with `idFromName`, where the runtime reports it. */
  readonly name?: string | undefined;
}

/** `this.ctx` of a Durable Object. */
export interface CfObjectState {
  /** The object's id. */
  readonly id: CfObjectId;
  /** The object's storage. */
  readonly storage: CfStorage;
  /** Accepts a server-side WebSocket with the hibernation API. */
  acceptWebSocket(ws: CfWebSocket, tags?: string[]): void;
  /** The accepted WebSockets (all, or those with `tag`), including ones from before hibernation. */
  getWebSockets(tag?: string): CfWebSocket[];
  /** Runs `fn` while no other event is delivered to the object. */
  blockConcurrencyWhile<T>(fn: () => Promise<T>): Promise<T>;
}

/** A stub that forwards requests to a Durable Object. */
export interface CfObjectStub {
  /** Sends a request to the object. */
  fetch(request: Request): Promise<Response>;
}

/** A Durable Object namespace binding (`env.SOCKET_IO`). */
export interface CfObjectNamespace {
  /** The id of the object named `name`. */
  idFromName(name: string): CfObjectId;
  /** Parses an id; throws when it is malformed or from another namespace. */
  idFromString(id: string): CfObjectId;
  /** A stub for the object `id`. */
  get(id: CfObjectId): CfObjectStub;
}

/** `new WebSocketPair()`: `0` goes to the client, `1` stays on the server. */
export interface CfWebSocketPair {
  readonly 0: CfWebSocket;
  readonly 1: CfWebSocket;
}

/** The Workers runtime's `WebSocketPair` constructor, looked up at call time. */
export function newWebSocketPair(): CfWebSocketPair {
  const ctor = (globalThis as { WebSocketPair?: new () => CfWebSocketPair }).WebSocketPair;
  if (!ctor) throw new TypeError("sio-edge/cloudflare needs the Workers runtime (WebSocketPair)");
  return new ctor();
}

/** The 101 response that hands `client` to the peer (a Workers-only `ResponseInit` field). */
export function webSocketResponse(client: CfWebSocket, headers?: Headers): Response {
  const init = { status: 101, webSocket: client, headers } as ResponseInit;
  return new Response(null, init);
}
