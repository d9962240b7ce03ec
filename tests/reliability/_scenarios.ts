/**
 * The hostile-client scenarios of the reliability suite, each against a
 * running server given by URL (sio-edge on any runtime, or the official
 * server), each returning its figures: what `npm run soak` prints beside
 * the official server's, and what the tests check against their bounds.
 *
 * @module
 */

import { WebSocket as WsClient } from "ws";
import { rawWebSocket, stats, wsConnect } from "./_hostile.ts";

const MiB = 1024 * 1024;

/** Heap after GC at checkpoints of a churn; the level-off is `last - middle`. */
export interface ChurnFigures {
  cycles: number;
  /** Heap after GC (MiB) at 0 %, 25 %, 50 %, 75 % and 100 % of the cycles. */
  heapMiB: number[];
  /** Growth of the heap after GC over the second half (MiB). */
  secondHalfMiB: number;
  /** Sessions left once every client is gone (the stats connection excluded). */
  sessionsLeft: number;
  ms: number;
}

async function settleSessions(url: string, ms = 5_000): Promise<number> {
  const deadline = Date.now() + ms;
  let left = Infinity;
  while (Date.now() < deadline) {
    left = (await stats(url)).sessions - 1;
    if (left <= 0) return Math.max(0, left);
    await new Promise((r) => setTimeout(r, 100));
  }
  return left;
}

/**
 * `cycles` WebSocket clients connect to the main namespace and leave,
 * `parallel` at a time: cleanly (`abrupt: false`) or by cutting the TCP
 * connection without a close frame.
 */
export async function churn(
  url: string,
  port: number,
  cycles: number,
  abrupt: boolean,
  parallel = 50,
): Promise<ChurnFigures> {
  const started = Date.now();
  const heapMiB: number[] = [];
  const checkpoint = async () => {
    await settleSessions(url, 3_000);
    heapMiB.push(Math.round((await stats(url)).heapUsed / MiB * 10) / 10);
  };
  await checkpoint();
  let done = 0;
  const one = async () => {
    if (abrupt) {
      const ws = await rawWebSocket(port);
      ws.socket.resetAndDestroy?.() ?? ws.socket.destroy();
    } else {
      const ws = await wsConnect(url);
      await ws.close();
    }
  };
  for (let quarter = 1; quarter <= 4; quarter++) {
    const target = Math.round(cycles * quarter / 4);
    while (done < target) {
      const batch = Math.min(parallel, target - done);
      await Promise.all(Array.from({ length: batch }, one));
      done += batch;
    }
    await checkpoint();
  }
  return {
    cycles,
    heapMiB,
    secondHalfMiB: Math.round((heapMiB[4]! - heapMiB[2]!) * 10) / 10,
    sessionsLeft: await settleSessions(url),
    ms: Date.now() - started,
  };
}

/** What happened to `n` idle clients that answer every ping for `ms`. */
export interface IdleFigures {
  clients: number;
  connected: number;
  /** Clients the server dropped while they answered every ping. */
  dropped: number;
  /** Pings answered in all. */
  pongs: number;
  ms: number;
  rssMiB: number;
  /** The longest time a client waited between two pings while idle (pingInterval + delays). */
  maxPingGapMs: number;
  /** The server's disconnect reasons meanwhile. */
  reasons: Record<string, number>;
  /** The server's disconnect reasons while the clients connected (before the idle time). */
  connectReasons: Record<string, number>;
}

/**
 * Opens `n` WebSocket clients (the `ws` package, `parallel` handshakes at a
 * time), keeps them idle for `ms` answering every ping at once, and counts
 * those the server closed.
 */
export async function idle(
  url: string,
  n: number,
  ms: number,
  parallel = 200,
  stall?: { everyMs: number; forMs: number },
): Promise<IdleFigures> {
  const wsUrl = url.replace(/^http/, "ws") + "/socket.io/?EIO=4&transport=websocket";
  const clients: WsClient[] = [];
  let dropped = 0;
  let pongs = 0;
  let maxPingGap = 0;
  let holding = false;
  const open = () =>
    new Promise<void>((resolve) => {
      const ws = new WsClient(wsUrl);
      clients.push(ws);
      let connected = false;
      let lastPing = 0;
      ws.on("message", (data, isBinary) => {
        if (isBinary) return;
        const text = data.toString();
        if (text === "2") {
          ws.send("3");
          pongs++;
          const now = Date.now();
          if (lastPing && holding) maxPingGap = Math.max(maxPingGap, now - lastPing);
          lastPing = now;
        } else if (text.startsWith("0{")) ws.send("40");
        else if (text.startsWith("40") && !connected) {
          connected = true;
          resolve();
        }
      });
      ws.on("close", () => {
        if (holding && connected) dropped++;
        resolve();
      });
      ws.on("error", () => resolve());
    });
  for (let i = 0; i < n; i += parallel) {
    await Promise.all(Array.from({ length: Math.min(parallel, n - i) }, open));
  }
  const connected = clients.filter((c) => c.readyState === WsClient.OPEN).length;
  const reasonsBefore = (await stats(url)).reasons;
  holding = true;
  const started = Date.now();
  // with `stall`, one more client keeps the server's event loop busy now and then
  const staller = stall ? await wsConnect(url) : undefined;
  const timer = stall
    ? setInterval(() => staller!.socket.send(`42["stall",${stall.forMs}]`), stall.everyMs)
    : undefined;
  await new Promise((r) => setTimeout(r, ms));
  clearInterval(timer);
  await staller?.close().catch(() => {});
  holding = false;
  const after = await stats(url);
  const rss = after.rss;
  const reasons: Record<string, number> = {};
  for (const [reason, n] of Object.entries(after.reasons)) {
    const d = n - (reasonsBefore[reason] ?? 0);
    if (d > 0) reasons[reason] = d;
  }
  for (const c of clients) c.terminate();
  await settleSessions(url, 10_000);
  return {
    clients: n,
    connected,
    dropped,
    pongs,
    ms: Date.now() - started,
    rssMiB: Math.round(rss / MiB),
    reasons,
    connectReasons: reasonsBefore,
    maxPingGapMs: maxPingGap,
  };
}

/** A client that stops reading while another one broadcasts 64 KiB messages. */
export interface PausedFigures {
  /** Whether the server dropped the paused client. */
  dropped: boolean;
  /** Time until it did (or until the scenario gave up). */
  ms: number;
  /** Bytes broadcast meanwhile. */
  sentMiB: number;
  /** Growth of the server's RSS (MiB). */
  rssGrowthMiB: number;
}

export async function pausedReader(
  url: string,
  port: number,
  maxMs = 10_000,
): Promise<PausedFigures> {
  const before = await stats(url);
  const paused = await rawWebSocket(port);
  const sender = await wsConnect(url);
  const chunk = "x".repeat(64 * 1024);
  const started = Date.now();
  let sent = 0;
  let dropped = false;
  let peak = before.rss;
  for (let i = 0; Date.now() - started < maxMs; i++) {
    sender.socket.send(`42${i}["bcast","${chunk}",1]`);
    const deadline = Date.now() + 10_000;
    let acked = false;
    while (!acked && Date.now() < deadline) {
      const m = await sender.nextMessage(Math.max(1, deadline - Date.now()));
      if (m === "2") sender.socket.send("3"); // the sender stays alive through pings
      acked = typeof m === "string" && m.startsWith(`43${i}`);
    }
    if (!acked) throw new Error(`broadcast ${i} not acknowledged within 10 s`);
    sent += chunk.length;
    if (i % 25 === 24) {
      const s = await stats(url);
      peak = Math.max(peak, s.rss);
      if (s.sessions <= before.sessions + 1) {
        dropped = true;
        break;
      }
    }
  }
  const ms = Date.now() - started;
  await sender.close();
  paused.socket.destroy();
  return {
    dropped,
    ms,
    sentMiB: Math.round(sent / MiB),
    rssGrowthMiB: Math.round((peak - before.rss) / MiB),
  };
}

/** What a server did with mutated packets and malformed requests sent over the network. */
export interface NetFuzzFigures {
  packets: number;
  /** Connections the server closed (a new one was opened each time). */
  closed: number;
  requests: number;
  /** Requests answered with a status line (the rest: connection closed without one). */
  answered: number;
  /** Requests left unanswered, by method (Bun closes an unknown method's connection, SECURITY.md). */
  unansweredByMethod: Record<string, number>;
  /** Answers that held a stack trace. */
  stackTraces: number;
  statuses: Record<string, number>;
  /** Whether a fresh client was served at the end. */
  serves: boolean;
}

/**
 * Sends `packets` mutated Socket.IO packets over WebSocket (reconnecting
 * whenever the server closes the connection) and `requests` malformed raw
 * HTTP requests (`parallel` at a time), all from the fuzzing's seeded
 * generators.
 */
export async function netFuzz(
  url: string,
  port: number,
  packets: number,
  requests: number,
  parallel = 20,
): Promise<NetFuzzFigures> {
  const fc = (await import("fast-check")).default;
  const { fuzzRequest, mutatedPacket, SEED } = await import("./_fuzz.ts");
  const { serves } = await import("./_hostile.ts");
  const texts = fc.sample(mutatedPacket, { seed: SEED, numRuns: Math.min(packets, 20_000) });
  let closed = 0;
  let ws = await wsConnect(url);
  for (let i = 0; i < packets; i++) {
    if (ws.socket.readyState !== 1) {
      closed++;
      ws = await wsConnect(url);
    }
    ws.socket.send(texts[i % texts.length]!);
    if (i % 500 === 499) await new Promise((r) => setTimeout(r, 1));
  }
  await ws.close().catch(() => {});
  const specs = fc.sample(fuzzRequest, { seed: SEED, numRuns: Math.min(requests, 20_000) });
  const statuses: Record<string, number> = {};
  let answered = 0;
  let stackTraces = 0;
  const unansweredByMethod: Record<string, number> = {};
  const { connect } = await import("node:net");
  const one = (i: number) =>
    new Promise<void>((resolve) => {
      const spec = specs[i % specs.length]!;
      const query = spec.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
        .join("&");
      const body = spec.body ?? "";
      let head = `${spec.method} ${spec.path.startsWith("/") ? "" : "/"}${spec.path}?${query} ` +
        `HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n`;
      for (const [name, value] of spec.headers) {
        if (name !== "content-length" && name !== "connection") head += `${name}: ${value}\r\n`;
      }
      const bytes = new TextEncoder().encode(body);
      head += `Content-Length: ${bytes.byteLength}\r\n\r\n`;
      const socket = connect(port, "127.0.0.1");
      let data = "";
      const timer = setTimeout(() => socket.destroy(), 3_000);
      socket.on("error", () => {});
      socket.on("connect", () => {
        socket.write(head);
        socket.write(bytes);
      });
      socket.on("data", (chunk) => (data += chunk.toString("latin1")));
      socket.on("close", () => {
        clearTimeout(timer);
        const match = /^HTTP\/1\.1 (\d{3})/.exec(data);
        if (match) {
          answered++;
          statuses[match[1]!] = (statuses[match[1]!] ?? 0) + 1;
        } else {
          statuses.none = (statuses.none ?? 0) + 1;
          unansweredByMethod[spec.method] = (unansweredByMethod[spec.method] ?? 0) + 1;
        }
        if (/\n\s+at \S+ \(/.test(data)) stackTraces++;
        resolve();
      });
    });
  for (let i = 0; i < requests; i += parallel) {
    await Promise.all(
      Array.from({ length: Math.min(parallel, requests - i) }, (_, j) => one(i + j)),
    );
  }
  return {
    packets,
    closed,
    requests,
    answered,
    unansweredByMethod,
    stackTraces,
    statuses,
    serves: await serves(url),
  };
}
