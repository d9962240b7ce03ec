/**
 * What the server does with Socket.IO packets it cannot take, sio-edge
 * against the official server, over polling and over WebSocket: malformed
 * packets (a parse error), and well-formed packets that do not fit the
 * connection's state (for a namespace the client did not join, a second
 * CONNECT, a CONNECT_ERROR from the client).
 *
 * Each case connects to `/`, sends the packet, then an `echo` with an ack as
 * a barrier, and reads until that ack or the end of the session; then asks
 * the server what it saw of the socket: its disconnect reason and how many
 * `error` events it got.
 *
 * On the wire both servers behave alike: every fault closes the session
 * (polling: the next GET gets `6␞1`; WebSocket: a close frame without status,
 * 1005). Deliberate differences, server side only (see `_serverSide`): the
 * disconnect reason and the error texts; and sio-edge's decoder refuses
 * EVENT and ACK packets without payload, which the official one lets through.
 */

import { conformance } from "./_compare.ts";
import { connectTo, type Opener, overBoth, report, type TransportScenario } from "./_sio.ts";
import type { Target } from "./_targets.ts";
import type { Ids } from "./_ids.ts";
import { PollingConn, WsConn } from "./_wire.ts";

type Sent = (string | number[])[];

/** Cases by name: the Engine.IO message(s) sent (strings: text; numbers[]: bytes). */
const CASES: Record<string, Sent> = {
  "an unknown packet type": ["49"],
  "an empty message": ["4"],
  "an event that is not an array": ['42{"a":1}'],
  "an event without a name": ["42[]"],
  "an event with a reserved name": ['42["disconnect","forged"]'],
  "an event with a number as name": ["42[1,2]"],
  "an event with broken JSON": ['42["echo"'],
  "a CONNECT with a non-object payload": ['40/custom,"token"'],
  "a DISCONNECT with a payload": ['41{"a":1}'],
  "an ack without a pending ack id": ['43999["late"]'],
  "a binary event with a bad attachment count": ['45x-["echo"]'],
  "text where an attachment was expected": [
    '451-["echo",{"_placeholder":true,"num":0}]',
    '42["echo"]',
  ],
  "an attachment nobody waits for": [[1, 2, 3]],
  "a placeholder with a bad index": ['451-7["echo",{"_placeholder":true,"num":5}]', [1]],
  "an event for a namespace not joined": ['42/custom,["echo"]'],
  "a DISCONNECT for a namespace not joined": ["41/custom,"],
  "a second CONNECT to a joined namespace": ["40"],
  "a CONNECT_ERROR from the client": ['44{"message":"x"}'],
};

/**
 * Cases where sio-edge's decoder is deliberately stricter: the official
 * decoder validates a payload only when there is one, so it lets through an
 * EVENT or ACK without any (and reads `/custom["echo"]` as the name of a
 * namespace, which then closes the session as one not joined). sio-edge
 * refuses such packets as malformed: a parse error, which closes the session.
 */
const STRICTER: Record<string, Sent> = {
  "an event without payload": ["42"],
  "an ack without payload": ["43999"],
  "a namespace without a comma": ['42/custom["echo"]'],
};

const BARRIER = '42777["echo","alive"]';

interface Observed {
  log: string[];
  server: { reason: string | null; errors: number } | null;
}

async function play(open: Opener, t: Target, ids: Ids, packets: Sent): Promise<Observed> {
  const conn = await open(t, ids);
  const id = await connectTo(conn);
  const parts = packets.map((p) => typeof p === "string" ? p : new Uint8Array(p));
  if (conn instanceof WsConn) {
    // Over WebSocket each next frame (and the barrier) goes out only if the
    // server has not closed within a moment: Deno's server cuts the
    // connection without a close frame when a data frame arrives together
    // with the one that made it close (a runtime quirk, reported).
    for (const [i, part] of parts.entries()) {
      if (i > 0 && await conn.closesWithin(150)) break;
      await conn.send(part);
    }
    if (!await conn.closesWithin(150)) await conn.send(BARRIER);
  } else {
    await conn.send(...parts);
    await conn.send(BARRIER);
  }
  await conn.read((p) => p.some((x) => x.startsWith("43777") || x === "1" || x[0] === "<"));
  // a session that survived is closed by the client, so that the socket has a reason to report
  const alive = conn.log.at(-1)!.startsWith("< 43777");
  if (alive && conn instanceof PollingConn) await conn.send("1");
  await conn.end();
  const seen = await report(t, id);
  return { log: conn.log, server: seen && { reason: seen.reason, errors: seen.errors.length } };
}

/**
 * The deliberate server-side differences: a malformed packet ends the socket
 * with "parse error" (the protocol's reason for it), where the official
 * server says "forced close"; and a packet that does not fit the state ends
 * it with "forced server close" on both transports, where the official
 * server says "forced close" on WebSocket (its transport closes before its
 * client does). The error texts differ too (not compared: only their count).
 */
function _serverSide(official: Observed): Observed {
  const server = official.server;
  if (!server) return official;
  let reason = server.reason;
  if (server.errors > 0) reason = "parse error";
  else if (reason === "forced close") reason = "forced server close";
  return { ...official, server: { ...server, reason } };
}

/** What sio-edge answers for a {@link STRICTER} case: the session closes at the barrier. */
function _closed(official: Observed, transport: "polling" | "websocket"): Observed {
  const end = official.log.indexOf(`> ${BARRIER}`);
  // the official server closed too (over WebSocket, before the barrier went out)
  if (end === -1) return { log: official.log, server: { reason: "parse error", errors: 1 } };
  if (transport === "polling") {
    return {
      log: [...official.log.slice(0, end + 1), "< POST 200 ok", "< 6", "< 1"],
      server: { reason: "parse error", errors: 1 },
    };
  }
  const log = [...official.log.slice(0, end), "< <close 1005 >"];
  return { log, server: { reason: "parse error", errors: 1 } };
}

/**
 * sio-edge checks a binary packet's placeholders as soon as its text part
 * arrives; the official decoder only once the last attachment has. Both close
 * the session; over WebSocket sio-edge does so before the attachment is sent.
 */
function _sooner(official: Observed, transport: "polling" | "websocket"): Observed {
  const out = _serverSide(official);
  if (transport === "polling") return out;
  return { ...out, log: out.log.filter((line) => !line.startsWith("> <binary")) };
}

const cases: TransportScenario[] = [
  ...Object.entries(CASES).map(([name, packets]): TransportScenario => ({
    name,
    run: (open, t, ids) => play(open, t, ids, packets),
    edge: name === "a placeholder with a bad index"
      ? (official, transport) => _sooner(official as Observed, transport)
      : (official) => _serverSide(official as Observed),
  })),
  ...Object.entries(STRICTER).map(([name, packets]): TransportScenario => ({
    name: `${name} (sio-edge is stricter)`,
    run: (open, t, ids) => play(open, t, ids, packets),
    edge: (official, transport) => _closed(official as Observed, transport),
  })),
];

conformance("malformed packets conformance", overBoth(cases));
