/**
 * A WebSocket client with an awaitable queue of what arrived, on the global
 * `WebSocket` (Deno, Bun, Node ≥ 22).
 *
 * @module
 */

/** Something the client received: a message, or the closing of the socket. */
export type WsEvent =
  | { type: "message"; data: string | Uint8Array }
  | { type: "close"; code: number; reason: string };

/** A connected test client. */
export interface TestWebSocket {
  /** The underlying socket. */
  readonly socket: WebSocket;
  /** The next event, or a rejection after `timeoutMs`. */
  next(timeoutMs?: number): Promise<WsEvent>;
  /** The next event, which must be a message. */
  nextMessage(timeoutMs?: number): Promise<string | Uint8Array>;
  /** Closes the socket (if open) and waits for the close event. */
  close(code?: number, reason?: string): Promise<void>;
}

/** Connects to `url`; rejects if the socket closes before opening. */
export function openWebSocket(url: string, timeoutMs = 5_000): Promise<TestWebSocket> {
  const socket = new WebSocket(url);
  socket.binaryType = "arraybuffer";
  const events: WsEvent[] = [];
  const waiters: (() => void)[] = [];
  const push = (event: WsEvent) => {
    events.push(event);
    waiters.splice(0).forEach((wake) => wake());
  };
  let closed = false;
  socket.onmessage = ({ data }) =>
    push({
      type: "message",
      data: typeof data === "string" ? data : new Uint8Array(data as ArrayBuffer),
    });
  socket.onclose = ({ code, reason }) => {
    closed = true;
    push({ type: "close", code, reason });
  };
  const next = async (ms = 5_000): Promise<WsEvent> => {
    const deadline = Date.now() + ms;
    while (!events.length) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`nothing received within ${ms} ms`);
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((wake) => {
        waiters.push(wake);
        timer = setTimeout(wake, left);
      });
      clearTimeout(timer);
    }
    return events.shift()!;
  };
  const client: TestWebSocket = {
    socket,
    next,
    async nextMessage(ms) {
      const event = await next(ms);
      if (event.type !== "message") {
        throw new Error(`closed (${event.code} ${event.reason}) instead of a message`);
      }
      return event.data;
    },
    async close(code, reason) {
      if (!closed) socket.close(code, reason);
      const deadline = Date.now() + 5_000;
      while (!closed && Date.now() < deadline) {
        await next(deadline - Date.now()).catch(() => undefined);
      }
      if (!closed) throw new Error("the socket did not close within 5 s");
    },
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error(`no WebSocket open within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.onopen = () => {
      clearTimeout(timer);
      resolve(client);
    };
    socket.onerror = () => {
      if (socket.readyState !== WebSocket.CLOSED && socket.readyState !== WebSocket.CLOSING) return;
      clearTimeout(timer);
      reject(new Error("WebSocket failed to open"));
    };
  });
}
