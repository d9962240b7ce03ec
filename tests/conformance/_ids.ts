/**
 * The normalisation of what two servers answered: random ids (sid, socket
 * ids, pids, offsets) and the ack ids a server chose become placeholders
 * such as `<sid1>`, so that observations compare with `deepEqual`.
 *
 * @module
 */

/** Replaces random ids by placeholders such as `<sid1>`, numbered per kind in order seen. */
export class Ids {
  #names = new Map<string, string>();
  #counts = new Map<string, number>();
  /** Ack ids the server chose for its events (`"/ 3"`), which depend on the server's history. */
  #serverAcks = new Map<string, string>();

  /** Records `value` (if a new non-empty string) as an id of `kind`. */
  add(kind: string, value: unknown): void {
    if (typeof value !== "string" || value === "" || this.#names.has(value)) return;
    const n = (this.#counts.get(kind) ?? 0) + 1;
    this.#counts.set(kind, n);
    this.#names.set(value, `<${kind}${n}>`);
  }

  /**
   * Records the ids a received packet reveals: an open packet's sid, a
   * CONNECT's sid and pid, and (with `offsets`) the offset that connection
   * state recovery appends to every event.
   */
  scan(packet: string): void {
    if (packet.startsWith("0{")) this.add("sid", jsonObject(packet.slice(1))?.sid);
    const sio = packet.startsWith("4") ? parseSocketPacket(packet.slice(1)) : undefined;
    if (sio?.type === 0) {
      const body = sio.data as Record<string, unknown> | undefined;
      this.add("id", body?.sid);
      this.add("pid", body?.pid);
    }
    const event = sio?.type === 2 || sio?.type === 5;
    if (event && sio.id !== undefined) {
      const key = `${sio.nsp} ${sio.id}`;
      if (!this.#serverAcks.has(key)) {
        this.#serverAcks.set(key, `<ack${this.#serverAcks.size + 1}>`);
      }
    }
    if (this.offsets && event && Array.isArray(sio.data)) {
      this.add("offset", sio.data.at(-1));
    }
  }

  #normAck(line: string): string {
    const match = _TRANSCRIPT_PACKET.exec(line);
    if (!match) return line;
    const [, dir, type, attachments = "", nsp = "", id, rest] = match;
    const fromServer = dir === "< 4" && (type === "2" || type === "5");
    const toServer = dir === "> 4" && (type === "3" || type === "6");
    const name = this.#serverAcks.get(`${nsp ? nsp.slice(0, -1) : "/"} ${id}`);
    if (!name || !(fromServer || toServer)) return line;
    return `${dir}${type}${attachments}${nsp}${name}${rest}`;
  }

  /** Whether events carry recovery offsets (set for the recovery server). */
  offsets = false;

  /**
   * `value` with every recorded id replaced (longest first, so no id eats
   * another), and in transcript lines (`< …`, `> …`) the ack ids the server
   * chose: the official server counts them per namespace, not per socket.
   */
  norm<T>(value: T): T {
    let text = JSON.stringify(value, (_key, v) => typeof v === "string" ? this.#normAck(v) : v);
    const ids = [...this.#names].sort(([a], [b]) => b.length - a.length);
    for (const [id, name] of ids) text = text.replaceAll(id, name);
    return JSON.parse(text) as T;
  }
}

/** A Socket.IO packet's parts, as far as the suite needs them. */
export interface SocketPacketParts {
  type: number;
  attachments?: number;
  nsp: string;
  id?: number;
  data?: unknown;
}

/** Splits a Socket.IO text packet (`451-/nsp,7[…]`); `undefined` if it is not one. */
export function parseSocketPacket(text: string): SocketPacketParts | undefined {
  const match = /^(\d)(?:(\d+)-)?(\/[^,]*,)?(\d+)?(.*)$/s.exec(text);
  if (!match) return undefined;
  const [, type, attachments, nsp, id, rest] = match;
  const parts: SocketPacketParts = { type: Number(type), nsp: nsp ? nsp.slice(0, -1) : "/" };
  if (attachments !== undefined) parts.attachments = Number(attachments);
  if (id !== undefined) parts.id = Number(id);
  if (rest) parts.data = _parse(rest);
  return parts;
}

function _parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const _TRANSCRIPT_PACKET = /^([<>] 4)(\d)(\d+-)?(\/[^,]*,)?(\d+)(.*)$/s;

export function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" ? value as Record<string, unknown> : undefined;
  } catch {
    return undefined;
  }
}
