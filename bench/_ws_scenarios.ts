/**
 * The WebSocket scenarios: broadcast fan-out over connected clients, and echo
 * with acknowledgement under a fixed number of outstanding calls.
 *
 * @module
 */

import { quantile } from "./_stats.ts";
import { type Client, setHooks } from "./_ws_clients.ts";
import { bcastFrame, echoFrame } from "./_wire.ts";

/** What a broadcast run measured. */
export interface BroadcastResult {
  /** Messages delivered in total (recipients × messages when complete). */
  deliveries: number;
  /** Milliseconds from the first send until the last client had the last message. */
  ms: number;
  /** Deliveries per second. */
  rate: number;
  /** Whether every client got every message before the timeout. */
  complete: boolean;
}

/** `sender` (the first client) asks for `messages` broadcasts of `size` bytes to every client. */
export function broadcast(
  clients: Client[],
  messages: number,
  size: number,
  timeoutMs: number,
): Promise<BroadcastResult> {
  const [sender] = clients;
  if (!sender) return Promise.resolve({ deliveries: 0, ms: 0, rate: 0, complete: false });
  for (const client of clients) client.received = 0;
  const frame = bcastFrame(sender.proto, "x".repeat(size));
  return new Promise((resolve) => {
    let deliveries = 0, done = 0;
    const start = performance.now();
    const finish = (complete: boolean) => {
      clearTimeout(timer);
      setHooks();
      const ms = performance.now() - start;
      resolve({ deliveries, ms, rate: deliveries / (ms / 1000), complete });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    setHooks({
      onMsg(client) {
        deliveries++;
        if (++client.received === messages && ++done === clients.length) finish(true);
      },
      onAck() {},
    });
    for (let i = 0; i < messages; i++) sender.send(frame);
  });
}

/** What an echo run measured. */
export interface EchoResult {
  /** Acks received. */
  acks: number;
  /** Milliseconds from the first call to the last ack. */
  ms: number;
  /** Acks per second. */
  rate: number;
  /** Median call → ack latency (ms). */
  p50: number;
  /** 99th percentile call → ack latency (ms). */
  p99: number;
  /** Whether all `total` acks arrived before the timeout. */
  complete: boolean;
}

/** Every client keeps `outstanding` `echo` calls in flight until `total` acks arrived. */
export function echo(
  clients: Client[],
  outstanding: number,
  total: number,
  timeoutMs: number,
): Promise<EchoResult> {
  const arg = "echo-payload-0123456789abcdef";
  const latencies = new Float64Array(total);
  let issued = 0, acks = 0;
  const call = (client: Client) => {
    const id = client.nextId++;
    issued++;
    client.pending.set(id, performance.now());
    client.send(echoFrame(client.proto, id, arg));
  };
  return new Promise((resolve) => {
    const start = performance.now();
    const finish = (complete: boolean) => {
      clearTimeout(timer);
      setHooks();
      const ms = performance.now() - start;
      const done = latencies.subarray(0, acks);
      resolve({
        acks,
        ms,
        rate: acks / (ms / 1000),
        p50: quantile(done, 0.5),
        p99: quantile(done, 0.99),
        complete,
      });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    setHooks({
      onMsg() {},
      onAck(client, id) {
        const sentAt = client.pending.get(id);
        if (sentAt === undefined) return;
        client.pending.delete(id);
        latencies[acks++] = performance.now() - sentAt;
        if (acks === total) return finish(true);
        if (issued < total) call(client);
      },
    });
    for (let k = 0; k < outstanding; k++) {
      for (const client of clients) if (issued < total) call(client);
    }
    if (total === 0) finish(true);
    else if (!clients.length) finish(false);
  });
}
