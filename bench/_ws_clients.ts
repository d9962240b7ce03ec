/**
 * WebSocket load clients on the runtime's own `WebSocket` (Bun's, when the
 * load runs on Bun): opening many with bounded concurrency, the per-frame
 * dispatch, and closing them all.
 *
 * @module
 */

import { ackId, classify, Kind, type Proto, wsUrl } from "./_wire.ts";

/** What the running scenario wants to hear about. */
export interface Hooks {
  /** A broadcast message arrived at `client`. */
  onMsg(client: Client): void;
  /** Ack `id` arrived at `client`. */
  onAck(client: Client, id: number): void;
}

const _NO_HOOKS: Hooks = { onMsg() {}, onAck() {} };
let _hooks: Hooks = _NO_HOOKS;

/** Routes incoming messages and acks of every client to `hooks` (none when omitted). */
export function setHooks(hooks: Hooks = _NO_HOOKS): void {
  _hooks = hooks;
}

/** One connected load client. */
export class Client {
  /** Broadcast messages received in the current scenario. */
  received = 0;
  /** The next ack id. */
  nextId = 0;
  /** Send time (ms) of each outstanding ack id. */
  readonly pending: Map<number, number> = new Map();
  /** Whether the socket has closed. */
  closed = false;

  constructor(readonly ws: WebSocket, readonly proto: Proto) {}

  /** Sends one text frame. */
  send(frame: string): void {
    this.ws.send(frame);
  }
}

/** Opens one client; resolves once it may send (sio: after the namespace `40`). */
export function openClient(proto: Proto, port: number, timeoutMs: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(proto, port));
    const client = new Client(ws, proto);
    let settled = false;
    const settle = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        ws.close();
        reject(error);
      } else resolve(client);
    };
    const timer = setTimeout(() => settle(new Error("connect timeout")), timeoutMs);
    ws.onopen = () => proto === "raw" && settle();
    ws.onerror = () => settle(new Error("socket error"));
    ws.onclose = () => {
      client.closed = true;
      settle(new Error("closed before ready"));
    };
    ws.onmessage = (event: MessageEvent) => {
      const data = event.data as string;
      switch (classify(proto, data)) {
        case Kind.Msg:
          return _hooks.onMsg(client);
        case Kind.Ack:
          return _hooks.onAck(client, ackId(proto, data));
        case Kind.Ping:
          return ws.send("3");
        case Kind.Open:
          return ws.send("40");
        case Kind.Ready:
          return settle();
        case Kind.Refused:
          return settle(new Error(`refused: ${data}`));
      }
    };
  });
}

/** The outcome of {@link openMany}. */
export interface Opened {
  /** The clients that became ready. */
  clients: Client[];
  /** Milliseconds from the first attempt to the last settled one. */
  ms: number;
  /** Attempts that failed. */
  failed: number;
  /** The first failure's message, if any. */
  firstError?: string;
}

/** Opens `count` clients, `concurrency` at a time, giving up at `deadline` (performance.now()). */
export async function openMany(
  proto: Proto,
  port: number,
  count: number,
  concurrency: number,
  deadline: number,
): Promise<Opened> {
  const clients: Client[] = [];
  let next = 0, failed = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const worker = async () => {
    while (next < count) {
      const left = deadline - performance.now();
      if (left <= 0) return;
      next++;
      try {
        clients.push(await openClient(proto, port, Math.min(left, 10_000)));
      } catch (err) {
        failed++;
        firstError ??= (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  const ms = performance.now() - start;
  return { clients, ms, failed: failed + (count - next), ...(firstError ? { firstError } : {}) };
}

/** Closes every client and waits (at most `timeoutMs`) for their close events. */
export async function closeAll(clients: Client[], timeoutMs: number): Promise<void> {
  const waits = clients.filter((c) => !c.closed).map((c) =>
    new Promise<void>((resolve) => {
      c.ws.onclose = () => {
        c.closed = true;
        resolve();
      };
      c.ws.close();
    })
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    Promise.all(waits),
    new Promise((resolve) => timer = setTimeout(resolve, timeoutMs)),
  ]);
  clearTimeout(timer);
}
