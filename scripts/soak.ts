/**
 * `npm run soak`: the full reliability run (≤ 10 min). The fuzzing at full
 * size (≥ 1,000,000 mutated packets, ≥ 100,000 malformed requests), then the
 * hostile clients against sio-edge on Deno, Bun and Node and against the
 * official socket.io server, each figure checked against its bound for
 * sio-edge and printed beside the official server's (and, for the idle
 * scenario, beside a bare Deno WebSocket server's). Every criterion is
 * printed with its bound and figure at the end; the run fails if one fails
 * for sio-edge or if it took longer than its budget (`SOAK_BUDGET_S`, 600 s).
 *
 * Usage: `bash scripts/soak.sh` (raises `ulimit -n` to the hard limit for the
 * 10,000-connection scenarios), or `node --import tsx scripts/soak.ts
 * [--only=deno,bun,node,official,official-bun,bare-deno] [--skip-fuzz] [--idle-only]`; `SOAK_LOAD=2`
 * runs two busy processes beside the server during the idle scenario.
 *
 * @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import process from "node:process";
import {
  deepPackets,
  flood,
  heldFor,
  serves,
  startLimited,
  wsConnect,
} from "../tests/reliability/_hostile.ts";
import { churn, idle, netFuzz, pausedReader } from "../tests/reliability/_scenarios.ts";

// Node 20 has no global WebSocket: the `ws` client has the same browser-style API
if (typeof globalThis.WebSocket === "undefined") {
  (globalThis as { WebSocket?: unknown }).WebSocket = (await import("ws")).WebSocket;
}

type Target = "deno" | "bun" | "node" | "official" | "official-bun" | "bare-deno";
const args = process.argv.slice(2);
const only = args.find((a) => a.startsWith("--only="))?.slice(7).split(",") as
  | Target[]
  | undefined;
const TARGETS: Target[] = only ??
  ["deno", "bun", "node", "official", "official-bun", "bare-deno"];
const BUDGET_S = Number(process.env.SOAK_BUDGET_S ?? 600);
/** The methods every HTTP parser knows; Bun closes the connection of any other unanswered. */
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]);
const CYCLES = Number(process.env.SOAK_CYCLES ?? 10_000);
const IDLE = Number(process.env.SOAK_IDLE ?? 10_000);
/** `SOAK_LOAD=N`: N busy processes beside the server during the idle scenario (a loaded machine). */
const LOAD = Number(process.env.SOAK_LOAD ?? 0);
/** `--idle-only`: the idle scenario alone, on each target (finding 6). */
const IDLE_ONLY = args.includes("--idle-only");
const NET_PACKETS = Number(process.env.SOAK_NET_PACKETS ?? 50_000);
const NET_REQUESTS = Number(process.env.SOAK_NET_REQUESTS ?? 10_000);
const NOFILE = Number(spawnSync("bash", ["-c", "ulimit -n"]).stdout.toString().trim());

const results: Record<string, Record<string, unknown>> = {};
const failures: string[] = [];
/** Every criterion checked: the reference servers' are printed, never counted. */
const criteria: { target: string; what: string; ok: boolean; figure: string }[] = [];

function reference(target: Target | "run"): boolean {
  return target === "official" || target === "official-bun" || target === "bare-deno";
}

function check(target: Target | "run", what: string, ok: boolean, figure: unknown): void {
  const shown = JSON.stringify(figure);
  criteria.push({
    target,
    what,
    ok,
    figure: shown.length > 160 ? shown.slice(0, 157) + "..." : shown,
  });
  if (!reference(target) && !ok) failures.push(`${target}: ${what} (${shown})`);
}

function log(...parts: unknown[]): void {
  process.stderr.write(parts.map(String).join(" ") + "\n");
}

function fuzz(): void {
  log("== fuzzing, full size (SOAK=1), under deno test");
  const started = Date.now();
  const run = spawnSync(
    "node_modules/.bin/deno",
    ["test", "-A", "tests/reliability/fuzz_test.ts"],
    { env: { ...process.env, SOAK: "1", NO_COLOR: "1" }, encoding: "utf8" },
  );
  const out = run.stdout + run.stderr;
  const figures = /fuzz figures (\{.*\})/.exec(out)?.[1];
  results.fuzz = {
    ok: run.status === 0,
    s: Math.round((Date.now() - started) / 1000),
    ...JSON.parse(figures ?? "{}"),
  };
  if (run.status !== 0) failures.push("fuzzing failed:\n" + out.slice(-3_000));
  log(JSON.stringify(results.fuzz));
}

/** Runs one scenario; a failure is recorded (and counts against sio-edge) without ending the run. */
async function step(target: Target, name: string, fn: () => Promise<void>): Promise<void> {
  const started = Date.now();
  try {
    await fn();
  } catch (err) {
    results[target]![name] = { failed: String(err) };
    check(target, name, false, String(err));
    log(name, "failed:", String(err));
  }
  log(`  (${name}: ${Math.round((Date.now() - started) / 1000)} s)`);
}

const ENV = {
  SIO_PING_INTERVAL: "2000",
  SIO_PING_TIMEOUT: "2000",
  SIO_BODY_TIMEOUT: "2000",
  SIO_MAX_BUFFERED: "2000000",
};
/** Idle clients through heartbeats, while the server's event loop stalls 1.5 s every 3 s. */
const STALL = { everyMs: 3_000, forMs: 1_500 };

async function idleScenario(target: Target, url: string, r: Record<string, unknown>) {
  const hogs: ChildProcess[] = Array.from(
    { length: LOAD },
    () => spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }),
  );
  let held;
  try {
    held = await idle(url, IDLE, 10_000, 200, STALL);
  } finally {
    for (const hog of hogs) hog.kill("SIGKILL");
  }
  r.idle = { ...held, load: LOAD };
  check(
    target,
    `${IDLE} idle clients kept by heartbeats (loop stalled 1.5 s every 3 s` +
      (LOAD ? `, ${LOAD} busy processes` : "") + "): none dropped",
    held.connected === IDLE && held.dropped === 0,
    held,
  );
  log("idle", JSON.stringify(held));
}

/** The bare Deno WebSocket server: the idle scenario only, to tell Deno's part from ours. */
async function bareDeno(): Promise<void> {
  log("== bare-deno (idle only)");
  const r: Record<string, unknown> = {};
  results["bare-deno"] = r;
  const server = await startLimited("bare-deno", NOFILE, ENV);
  try {
    await step("bare-deno", "idle", () => idleScenario("bare-deno", server.url, r));
  } finally {
    await server.close();
  }
}

async function scenarios(target: Target): Promise<void> {
  if (target === "bare-deno") return await bareDeno();
  log(`== ${target}`);
  const r: Record<string, unknown> = {};
  results[target] = r;
  const env = ENV;
  let server = await startLimited(target, NOFILE, env);
  if (IDLE_ONLY) {
    try {
      return await step(target, "idle", () => idleScenario(target, server.url, r));
    } finally {
      await server.close();
    }
  }
  try {
    // deep nesting: the process must live, the connection must close
    const deep: Record<string, string> = {};
    for (const { name, frames } of deepPackets()) {
      log("  deep:", name);
      if (!server.alive()) server = await startLimited(target, NOFILE, env);
      const ws = await wsConnect(server.url).catch(() => undefined);
      if (!ws) {
        deep[name] = "no connection";
        continue;
      }
      for (const frame of frames) ws.socket.send(frame);
      await new Promise((res) => setTimeout(res, 300));
      const alive = server.alive() && await serves(server.url, undefined, 2_000);
      deep[name] = alive ? "connection closed, server up" : "SERVER DIED";
      await ws.close().catch(() => {});
      check(target, `deep packet ${name}`, alive, deep[name]);
    }
    r.deep = deep;
    if (!server.alive()) server = await startLimited(target, NOFILE, env);

    // mutated packets over WebSocket, malformed requests over raw TCP
    log("  network fuzzing");
    try {
      const nf = await netFuzz(server.url, server.port, NET_PACKETS, NET_REQUESTS);
      r.netFuzz = nf;
      check(
        target,
        "network fuzzing: server up, no stack trace",
        nf.serves && nf.stackTraces === 0,
        nf,
      );
      // Bun closes the connection of a method its parser does not know, before the app
      // (SECURITY.md, with a bare Bun.serve reproduction): those are Bun's, every other counts
      const bunsOwn = target === "bun"
        ? Object.entries(nf.unansweredByMethod).filter(([m]) => !KNOWN_METHODS.has(m))
          .reduce((sum, [, n]) => sum + n, 0)
        : 0;
      check(
        target,
        "network fuzzing: every request answered" +
          (target === "bun" ? " (but Bun's unknown methods)" : ""),
        nf.answered + bunsOwn === nf.requests,
        { answered: nf.answered, requests: nf.requests, unanswered: nf.unansweredByMethod },
      );
      log("netfuzz", JSON.stringify(nf));
    } catch (err) {
      r.netFuzz = { failed: String(err), serverAlive: server.alive() };
      check(target, "network fuzzing", false, r.netFuzz);
      log("netfuzz", JSON.stringify(r.netFuzz));
    }
    if (!server.alive()) server = await startLimited(target, NOFILE, env);

    // a trickling body: 10 of 100 declared bytes, then silence
    const hs = await (await fetch(`${server.url}/socket.io/?EIO=4&transport=polling`)).text();
    const sid = (JSON.parse(hs.slice(1)) as { sid: string }).sid;
    const head = `POST /socket.io/?EIO=4&transport=polling&sid=${sid} HTTP/1.1\r\n` +
      `Host: 127.0.0.1\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: 100\r\n\r\n`;
    const trickle = await heldFor(server.port, head, "4123456789", 30_000);
    r.trickleHeldMs = trickle.ms;
    check(target, "trickling body held ≤ 5 s", trickle.ms <= 5_000, trickle);
    log("trickle", JSON.stringify(trickle));

    await step(target, "pausedReader", async () => {
      const paused = await pausedReader(server.url, server.port, 10_000);
      r.pausedReader = paused;
      check(
        target,
        "paused reader dropped, RSS +≤ 64 MiB",
        paused.dropped && paused.rssGrowthMiB <= 64,
        paused,
      );
      log("paused", JSON.stringify(paused));
    });
    if (!server.alive()) server = await startLimited(target, NOFILE, env);

    await step(target, "churnClean", async () => {
      const clean = await churn(server.url, server.port, CYCLES, false);
      r.churnClean = clean;
      check(
        target,
        "clean churn: no session left, heap levels off (≤ 8 MiB in the second half)",
        clean.sessionsLeft === 0 && clean.secondHalfMiB <= 8,
        clean,
      );
      log("churn clean", JSON.stringify(clean));
    });
    if (!server.alive()) server = await startLimited(target, NOFILE, env);

    await step(target, "churnAbrupt", async () => {
      const cut = await churn(server.url, server.port, CYCLES, true);
      r.churnAbrupt = cut;
      // on Deno too, since its own WebSocket idle timer is off (idleTimeout 0, README)
      check(target, "abrupt churn: no session left", cut.sessionsLeft === 0, cut);
      check(
        target,
        "abrupt churn: heap levels off (≤ 8 MiB in the second half)",
        cut.secondHalfMiB <= 8,
        cut,
      );
      log("churn abrupt", JSON.stringify(cut));
    });
    if (!server.alive()) server = await startLimited(target, NOFILE, env);

    await step(target, "idle", () => idleScenario(target, server.url, r));
    if (!server.alive()) server = await startLimited(target, NOFILE, env);
  } finally {
    await server.close();
  }

  // descriptors exhausted: 400 connections against ulimit -n 256
  const limited = await startLimited(target, 256, env);
  try {
    const f = await flood(limited.port, 400);
    await new Promise((res) => setTimeout(res, 1_500));
    const aliveDuring = limited.alive();
    f.destroy();
    const started = Date.now();
    let back = false;
    while (!back && Date.now() - started < 30_000 && limited.alive()) {
      back = await serves(limited.url, undefined, 2_000);
    }
    r.fdExhaustion = { aliveDuring, recovered: back, recoverMs: Date.now() - started };
    check(target, "survives fd exhaustion and recovers", aliveDuring && back, r.fdExhaustion);
    log("fd", JSON.stringify(r.fdExhaustion));
  } finally {
    await limited.close();
  }
}

const started = Date.now();
log(`ulimit -n ${NOFILE}`);
if (!args.includes("--skip-fuzz")) fuzz();
for (const target of TARGETS) {
  try {
    await scenarios(target);
  } catch (err) {
    failures.push(`${target}: ${(err as Error).stack}`);
  }
}
const seconds = Math.round((Date.now() - started) / 1000);
process.stdout.write(JSON.stringify({ seconds, results }, null, 2) + "\n");
check("run", `the whole run within ${BUDGET_S} s`, seconds <= BUDGET_S, { seconds });
log("\ncriteria (reference servers' are shown, not counted):");
for (const c of criteria) {
  log(
    `${
      c.ok ? "pass" : reference(c.target as Target | "run") ? "(ref)" : "FAIL"
    }  ${c.target}: ${c.what}  ${c.figure}`,
  );
}
if (failures.length) {
  log("\nFAILED:\n" + failures.join("\n"));
  process.exit(1);
}
log(`\nsoak passed in ${Math.round((Date.now() - started) / 1000)} s`);
