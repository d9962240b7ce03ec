/**
 * Socket.IO helpers of the conformance scenarios: the two transports as
 * scenario variants, CONNECT, and asking the server what it saw of a socket.
 *
 * @module
 */

import { MAIN_PATH, type SocketReport } from "../_support/apps/conf_handlers.ts";
import type { Scenario } from "./_compare.ts";
import type { Target } from "./_targets.ts";
import { Ids, parseSocketPacket } from "./_ids.ts";
import { type Conn, delay, type OpenOptions, PollingConn, upTo, WsConn } from "./_wire.ts";

/** The main server's engine URL. */
export function mainUrl(t: Target, path = MAIN_PATH): string {
  return `${t.url}${path}/`;
}

/** Opens an Engine.IO session on one transport. */
export type Opener = (t: Target, ids: Ids, opts?: OpenOptions & { path?: string }) => Promise<Conn>;

/** The two ways in: long-polling, and WebSocket from the start. */
export const TRANSPORTS: readonly (readonly ["polling" | "websocket", Opener])[] = [
  ["polling", (t, ids, opts) => PollingConn.open(ids, mainUrl(t, opts?.path), opts)],
  ["websocket", (t, ids, opts) => WsConn.open(ids, mainUrl(t, opts?.path), opts)],
];

/** A scenario body that runs on either transport. */
export type TransportScenario = {
  name: string;
  run(open: Opener, t: Target, ids: Ids): Promise<unknown>;
  edge?: (official: unknown, transport: "polling" | "websocket") => unknown;
};

/** One scenario per transport (`… over polling`, `… over websocket`). */
export function overBoth(scenarios: readonly TransportScenario[]): Scenario[] {
  return scenarios.flatMap((s) =>
    TRANSPORTS.map(([name, open]): Scenario => {
      const scenario: Scenario = {
        name: `${s.name} over ${name}`,
        run: (t, ids) => s.run(open, t, ids),
      };
      const edge = s.edge;
      return edge ? { ...scenario, edge: (official) => edge(official, name) } : scenario;
    })
  );
}

/** The CONNECT packet for `nsp` (with `auth`), as `socket.io-client` writes it. */
export function connectPacket(nsp = "/", auth?: Record<string, unknown>): string {
  const prefix = nsp === "/" ? "" : `${nsp},`;
  return `40${prefix}${auth ? JSON.stringify(auth) : ""}`;
}

/** Whether a packet answers a CONNECT to `nsp` (CONNECT or CONNECT_ERROR). */
export function answers(nsp = "/"): (packets: string[]) => boolean {
  const prefix = nsp === "/" ? "" : `${nsp},`;
  return (packets) =>
    packets.some((p) => p.startsWith(`40${prefix}`) || p.startsWith(`44${prefix}`));
}

/** Connects `conn` to `nsp`; returns the socket id (raw), or "" when refused. */
export async function connectTo(
  conn: Conn,
  nsp = "/",
  auth?: Record<string, unknown>,
): Promise<string> {
  await conn.send(connectPacket(nsp, auth));
  const answer = (await conn.read(answers(nsp))).at(-1)!;
  const data = parseSocketPacket(answer.slice(1))?.data as { sid?: string } | undefined;
  return answer.startsWith("40") ? data?.sid ?? "" : "";
}

/** The ack id of the last event in `packets` that asks for one (the server chose it). */
export function askedAck(packets: string[]): number {
  for (const p of packets.slice().reverse()) {
    const parts = p.startsWith("4") ? parseSocketPacket(p.slice(1)) : undefined;
    if ((parts?.type === 2 || parts?.type === 5) && parts.id !== undefined) return parts.id;
  }
  throw new Error(`no event asks for an ack in ${JSON.stringify(packets)}`);
}

/** `read` until an event of the server asks for an ack, and `n` packets follow it. */
export function asking(n = 0): (packets: string[]) => boolean {
  return (packets) => {
    const i = packets.findIndex((p) => /^4[25]\d*-?(\/[^,]*,)?\d+\[/.test(p));
    return i !== -1 && packets.length - i - 1 >= n;
  };
}

/**
 * What the server saw of socket `id` (its disconnect reason and `error`
 * events), asked over a fresh polling session to the server at `path`;
 * waits (bounded) for the reason.
 */
export async function report(
  t: Target,
  id: string,
  path = MAIN_PATH,
): Promise<SocketReport | null> {
  const observer = await PollingConn.open(new Ids(), mainUrl(t, path));
  // the main server's sockets are asked from /custom, the recovery server's from /
  const nsp = path === MAIN_PATH ? "/custom" : "/";
  const prefix = nsp === "/" ? "" : `${nsp},`;
  try {
    await connectTo(observer, nsp);
    let seen: SocketReport | null = null;
    for (let i = 1; i <= 40; i++) {
      await observer.send(`42${prefix}${i}${JSON.stringify(["report", id])}`);
      const ack = (await observer.read(upTo(`43${prefix}${i}[`))).at(-1)!;
      seen = (parseSocketPacket(ack.slice(1))?.data as [SocketReport | null])[0];
      if (seen?.reason) break;
      await delay(25);
    }
    return seen;
  } finally {
    await observer.send("1");
  }
}
