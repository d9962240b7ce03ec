/**
 * A WebSocket server as the client's `fetch` option sees one on Workers (a
 * fake, no network): the answer is a 101 carrying a `webSocket` that, once
 * accepted, plays `frames`, then resolves `ready`; `push` plays a later
 * frame. Records the URLs asked for, what the client sent and whether it
 * closed the socket. `HANDSHAKE` is a server's open packet (no upgrades).
 *
 * @module
 */

/** An open packet: sid "sid1", no upgrades, pings every 10 s, 5 s to answer. */
export const HANDSHAKE = "0" + JSON.stringify({
  sid: "sid1",
  upgrades: [],
  pingInterval: 10_000,
  pingTimeout: 5_000,
  maxPayload: 1_000_000,
});

export function fakeWorkersWebSocket(frames: unknown[] = []) {
  const sent: unknown[] = [];
  const urls: string[] = [];
  let accepted: () => void;
  const ready = new Promise<void>((resolve) => (accepted = resolve));
  const ws = {
    binaryType: "blob",
    closed: false,
    onopen: null as ((e: unknown) => void) | null,
    onclose: null as ((e: unknown) => void) | null,
    onmessage: null as ((e: { data: unknown }) => void) | null,
    onerror: null as ((e: unknown) => void) | null,
    send: (data: unknown) => sent.push(data),
    close: () => (ws.closed = true),
    accept: () =>
      setTimeout(() => {
        frames.forEach(push);
        accepted();
      }),
  };
  const push = (data: unknown) => ws.onmessage?.({ data });
  const fetch = ((url: string) => {
    urls.push(url);
    return Promise.resolve({ status: 101, webSocket: ws });
  }) as unknown as typeof globalThis.fetch;
  return { fetch, ws, sent, push, ready, urls };
}
