/**
 * Connection state recovery at the wire level, sio-edge against the official
 * server: the CONNECT answer carries a pid, events carry offsets, and a
 * client that comes back with `{ pid, offset }` in its auth gets its old
 * socket id, its rooms, and the packets it missed.
 */

import { RECOVERY_PATH } from "../_support/apps/conf_handlers.ts";
import { conformance, type Scenario } from "./_compare.ts";
import { connectTo, mainUrl, report } from "./_sio.ts";
import type { Target } from "./_targets.ts";
import { type Ids, parseSocketPacket } from "./_ids.ts";
import { type Conn, PollingConn, upTo, WsConn } from "./_wire.ts";

const url = (t: Target) => mainUrl(t, RECOVERY_PATH);

async function open(t: Target, ids: Ids, ws = false): Promise<Conn> {
  ids.offsets = true;
  return ws ? await WsConn.open(ids, url(t)) : await PollingConn.open(ids, url(t));
}

/** The pid of the CONNECT answer and the offset of the last event in `log`. */
function sessionOf(log: string[]): { pid: string; offset: string } {
  let pid = "";
  let offset = "";
  for (const line of log) {
    const packet = line.startsWith("< 4") ? parseSocketPacket(line.slice(3)) : undefined;
    if (packet?.type === 0) pid = (packet.data as { pid: string }).pid;
    if (packet?.type === 2) offset = String((packet.data as unknown[]).at(-1));
  }
  return { pid, offset };
}

/** A second client that makes the server emit to room `r` and reads reports. */
async function toRoom(conn: Conn, ack: number, event: string, ...args: unknown[]): Promise<void> {
  await conn.send(`42${ack}${JSON.stringify(["to-room", "r", event, ...args])}`);
  await conn.read(upTo(`43${ack}`));
}

async function leaveAndMiss(t: Target, ids: Ids, viaWs: boolean) {
  const first = await open(t, ids, viaWs);
  const id = await connectTo(first);
  await first.send('421["join","r"]');
  await first.read(upTo("431"));
  const other = await open(t, ids);
  await connectTo(other);
  await toRoom(other, 1, "seen", 1);
  await first.read(upTo('42["seen"'));
  await first.send('42["emit-back","direct"]');
  await first.read(upTo('42["echo"'));
  // the transport goes away (a recoverable disconnect)
  if (first instanceof PollingConn) await first.send("1");
  else await first.end();
  const server = await report(t, id, RECOVERY_PATH);
  await toRoom(other, 2, "missed", 2);
  await toRoom(other, 3, "missed", 3, { deep: true });
  return { first, other, server };
}

const scenarios: Scenario[] = [false, true].flatMap((viaWs): Scenario[] => {
  const via = viaWs ? "websocket" : "polling";
  return [
    {
      name: `a client coming back with pid and offset gets its socket and missed packets (${via})`,
      async run(t, ids) {
        const { first, other, server } = await leaveAndMiss(t, ids, viaWs);
        const again = await open(t, ids, viaWs);
        await connectTo(again, "/", sessionOf(first.log));
        await again.send('427["whoami"]');
        await again.read(upTo("437"));
        await Promise.all([again.end(), other.end()]);
        return { first: first.log, server, again: again.log };
      },
    },
    {
      name: `an unknown pid or offset gets a fresh socket (${via})`,
      async run(t, ids) {
        const { first, other } = await leaveAndMiss(t, ids, viaWs);
        const { pid } = sessionOf(first.log);
        const stranger = await open(t, ids, viaWs);
        await connectTo(stranger, "/", { pid: "nope", offset: "nope" });
        await stranger.send('427["whoami"]');
        await stranger.read(upTo("437"));
        const lateOffset = await open(t, ids, viaWs);
        await connectTo(lateOffset, "/", { pid, offset: "not-an-offset" });
        await lateOffset.send('428["whoami"]');
        await lateOffset.read(upTo("438"));
        await Promise.all([stranger.end(), lateOffset.end(), other.end()]);
        return { stranger: stranger.log, lateOffset: lateOffset.log };
      },
    },
  ];
});

scenarios.push({
  name: "a client that left with DISCONNECT is not recovered",
  async run(t, ids) {
    const first = await open(t, ids);
    const id = await connectTo(first);
    await first.send('42["emit-back","x"]');
    await first.read(upTo('42["echo"'));
    await first.send("41");
    const server = await report(t, id, RECOVERY_PATH);
    const again = await open(t, ids);
    await connectTo(again, "/", sessionOf(first.log));
    await again.send('427["whoami"]');
    await again.read(upTo("437"));
    await again.end();
    return { first: first.log, server, again: again.log };
  },
});

conformance("connection state recovery conformance", scenarios);
