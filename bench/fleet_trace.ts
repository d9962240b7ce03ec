/**
 * Where a fleet's `fetchSockets()` round trip goes: reads the traces that
 * `FLEET_TRACE_DIR=<dir> bun bench/fleet.ts` writes (one file per server,
 * `<fleet>-<run>-<node>.jsonl`, node 0 asking) and prints the median of each
 * step over the measured calls (the first 10% dropped), per fleet run.
 *
 * Usage: `bun bench/fleet_trace.ts <dir>`. The clocks of the three servers are
 * the wall clock each process read at start plus its monotonic clock; a step
 * between two servers is off by their difference (tens of µs at most on one
 * machine, so read cross-server steps as approximate).
 *
 * @module
 */

import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";

type Event = [time: number, what: string, channel: string, n: number];

const dir = process.argv[2];
if (!dir) {
  console.error("usage: bun bench/fleet_trace.ts <dir>");
  process.exit(1);
}
const load = (file: string): Event[] =>
  readFileSync(`${dir}/${file}`, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));

const median = (xs: number[]) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
};

const runs = new Map<string, string[]>();
for (const file of readdirSync(dir).filter((f) => f.endsWith(".jsonl")).sort()) {
  const run = file.replace(/-\d+\.jsonl$/, "");
  runs.set(run, [...(runs.get(run) ?? []), file]);
}

const STEPS = [
  ["total", "fetchSockets() call to its result"],
  ["local+count", "call to PUBSUB NUMSUB issued (the local sockets)"],
  ["numsub", "PUBSUB NUMSUB issued to its reply"],
  ["request", "reply to the request PUBLISH issued"],
  ["to-answerer", "request PUBLISH issued to its arrival at an answering server"],
  ["answer", "arrival to the answer's PUBLISH issued (decode, describe, encode)"],
  ["to-asker", "answer PUBLISH issued to its arrival back (both answers: the later)"],
  ["read-answers", "sum of the two answers' handling at the asker (decode)"],
  ["resolve", "last answer handled to the result"],
] as const;

const rows: string[] = [];
for (const [run, files] of runs) {
  const nodes = files.sort().map(load);
  const asker = nodes[0]!;
  const steps: Record<string, number[]> = Object.fromEntries(STEPS.map(([k]) => [k, []]));
  let answerBytes = 0;
  const starts = asker.filter((e) => e[1] === "fetch");
  const skip = Math.floor(starts.length / 10);
  for (const start of starts.slice(skip)) {
    const i = start[3];
    const end = asker.find((e) => e[1] === "fetched" && e[3] === i);
    if (!end) continue;
    const within = (events: Event[]) => events.filter((e) => e[0] >= start[0] && e[0] <= end[0]);
    const mine = within(asker);
    const cmd = mine.find((e) => e[1] === "cmd" && e[2].startsWith("PUBSUB"));
    const reply = mine.find((e) => e[1] === "reply" && e[2].startsWith("PUBSUB"));
    const request = mine.find((e) => e[1] === "pub" && e[2].includes("-request#"));
    const answers = mine.filter((e) => e[1] === "recv" && e[2].includes("-response#"));
    const handled = mine.filter((e) => e[1] === "handled" && e[2].includes("-response#"));
    if (!cmd || !reply || !request || answers.length < 2 || handled.length < 2) continue;
    steps.total!.push(end[0] - start[0]);
    steps["local+count"]!.push(cmd[0] - start[0]);
    steps.numsub!.push(reply[0] - cmd[0]);
    steps.request!.push(request[0] - reply[0]);
    let read = 0;
    for (let k = 0; k < answers.length; k++) read += handled[k]![0] - answers[k]![0];
    steps["read-answers"]!.push(read);
    steps.resolve!.push(end[0] - handled[handled.length - 1]![0]);
    let lastPublish = 0;
    for (const other of nodes.slice(1)) {
      const theirs = within(other);
      const arrived = theirs.find((e) => e[1] === "recv" && e[2].includes("-request#"));
      const answered = theirs.find((e) => e[1] === "pub" && e[2].includes("-response#"));
      if (!arrived || !answered) continue;
      steps["to-answerer"]!.push(arrived[0] - request[0]);
      steps.answer!.push(answered[0] - arrived[0]);
      lastPublish = Math.max(lastPublish, answered[0]);
      answerBytes = answered[3];
    }
    steps["to-asker"]!.push(answers[answers.length - 1]![0] - lastPublish);
  }
  rows.push(
    `| ${run} | ${STEPS.map(([k]) => median(steps[k]!).toFixed(3)).join(" | ")} | ${answerBytes} |`,
  );
}
console.log(`| run | ${STEPS.map(([k]) => k).join(" | ")} | answer bytes |`);
console.log(`| --- | ${STEPS.map(() => "---").join(" | ")} | --- |`);
console.log(rows.join("\n"));
console.log("");
for (const [k, what] of STEPS) console.log(`- ${k}: ${what} (ms, median)`);
