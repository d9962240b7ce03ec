/**
 * What the server does with Socket.IO packets it cannot take, sio-edge
 * against the official server, over polling and over WebSocket: malformed
 * packets (a parse error), and well-formed packets that do not fit the
 * connection's state (for a namespace the client did not join, a second
 * CONNECT, a CONNECT_ERROR from the client).
 *
 * Each case connects to `/`, sends the packet, then an `echo` with an ack as
 * a barrier, and reads until that ack or the end of the session; then asks
 * the server what it saw of the socket (disconnect reason, `error` events).
 */

import { conformance } from "./_compare.ts";
import { connectTo, overBoth, report, type TransportScenario } from "./_sio.ts";

/** Cases by name: the Engine.IO message(s) sent (strings: text; numbers[]: bytes). */
const CASES: Record<string, (string | number[])[]> = {
  "an unknown packet type": ["49"],
  "an empty message": ["4"],
  "an event that is not an array": ['42{"a":1}'],
  "an event without a name": ["42[]"],
  "an event with a reserved name": ['42["disconnect"]'],
  "an event with a number as name": ["42[1,2]"],
  "an event with broken JSON": ['42["echo"'],
  "a CONNECT with a non-object payload": ['40/custom,"token"'],
  "an ack without a pending ack id": ['43999["late"]'],
  "an ack without an id": ["43[]"],
  "a binary event with a bad attachment count": ['45x-["echo"]'],
  "text where an attachment was expected": [
    '451-["echo",{"_placeholder":true,"num":0}]',
    '42["echo"]',
  ],
  "an attachment nobody waits for": [[1, 2, 3]],
  "a placeholder with a bad index": ['451-7["echo",{"_placeholder":true,"num":5}]', [1]],
  "an event for a namespace not joined": ['42/custom,["echo"]'],
  "a namespace without a comma": ['42/custom["echo"]'],
  "a DISCONNECT for a namespace not joined": ["41/custom,"],
  "a second CONNECT to a joined namespace": ["40"],
  "a CONNECT_ERROR from the client": ['44{"message":"x"}'],
};

const BARRIER = '42777["echo","alive"]';

const cases: TransportScenario[] = Object.entries(CASES).map(([what, packets]) => ({
  name: `${what}`,
  async run(open, t, ids) {
    const conn = await open(t, ids);
    const id = await connectTo(conn);
    await conn.send(...packets.map((p) => typeof p === "string" ? p : new Uint8Array(p)));
    await conn.send(BARRIER);
    await conn.read((p) => p.some((x) => x.startsWith("43777") || x === "1" || x[0] === "<"));
    await conn.end();
    return { log: conn.log, server: await report(t, id) };
  },
}));

conformance("malformed packets conformance", overBoth(cases));
