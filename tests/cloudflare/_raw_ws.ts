/**
 * A WebSocket client on a bare TCP socket (`node:net`), for tests that must
 * tell the server's close frame from the end of the TCP connection: it
 * records when each arrived, answers a close frame as RFC 6455 §5.5.1 asks
 * (the server then ends the connection), and can answer Engine.IO pings.
 *
 * @module
 */

import { connect, type Socket } from "node:net";
import { maskedFrame } from "../_support/ws_frame.ts";

/** What the client saw, with times in ms since the 101. */
export interface RawWsLog {
  /** Text frames received, in order. */
  readonly texts: string[];
  /** When the server's close frame arrived, and its code. */
  closeFrame?: { at: number; code: number | undefined };
  /** When the TCP connection ended. */
  tcpEnd?: number;
}

/** A connected raw client. */
export interface RawWs {
  readonly log: RawWsLog;
  /** Sends a masked text frame. */
  send(text: string): void;
  /** Resolves once the TCP connection ended, or after `timeoutMs` (then `log.tcpEnd` is unset). */
  ended(timeoutMs: number): Promise<RawWsLog>;
  /** Destroys the TCP socket. */
  destroy(): void;
}

/**
 * Opens `ws://127.0.0.1:<port><path>`; `answerPings` replies `3` to every
 * Engine.IO `2`.
 */
export function openRawWs(port: number, path: string, answerPings: boolean): Promise<RawWs> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1");
    const log: RawWsLog = { texts: [] };
    let start = 0;
    let buffer = new Uint8Array(0);
    let upgraded = false;
    let onEnd: (() => void) | undefined;
    const send = (opcode: number, payload: Uint8Array) => {
      if (!socket.destroyed) socket.write(maskedFrame(opcode, payload));
    };
    const ws: RawWs = {
      log,
      send: (text) => send(1, new TextEncoder().encode(text)),
      ended: (timeoutMs) =>
        new Promise((done) => {
          if (log.tcpEnd !== undefined) return done(log);
          const timer = setTimeout(() => done(log), timeoutMs);
          onEnd = () => {
            clearTimeout(timer);
            done(log);
          };
        }),
      destroy: () => socket.destroy(),
    };
    const frames = () => {
      while (buffer.length >= 2) {
        const opcode = buffer[0]! & 0x0f;
        let n = buffer[1]! & 0x7f;
        let at = 2;
        if (n === 126) {
          if (buffer.length < 4) return;
          n = (buffer[2]! << 8) | buffer[3]!;
          at = 4;
        } else if (n === 127) throw new Error("frame too long for this client");
        if (buffer.length < at + n) return;
        const payload = buffer.slice(at, at + n);
        buffer = buffer.slice(at + n);
        if (opcode === 1) {
          const text = new TextDecoder().decode(payload);
          log.texts.push(text);
          if (answerPings && text === "2") ws.send("3");
        } else if (opcode === 8) {
          const code = payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : undefined;
          log.closeFrame = { at: Date.now() - start, code };
          send(8, payload.slice(0, 2)); // the answering close frame
        }
      }
    };
    socket.on("data", (chunk: Uint8Array) => {
      const joined = new Uint8Array(buffer.length + chunk.length);
      joined.set(buffer);
      joined.set(chunk, buffer.length);
      buffer = joined;
      if (!upgraded) {
        const text = new TextDecoder().decode(buffer);
        const endOfHead = text.indexOf("\r\n\r\n");
        if (endOfHead === -1) return;
        if (!text.startsWith("HTTP/1.1 101")) {
          socket.destroy();
          return reject(new Error(`no upgrade: ${text.slice(0, endOfHead)}`));
        }
        upgraded = true;
        start = Date.now();
        buffer = buffer.slice(new TextEncoder().encode(text.slice(0, endOfHead + 4)).length);
        resolve(ws);
      }
      frames();
    });
    socket.on("close", () => {
      log.tcpEnd = Date.now() - start;
      onEnd?.();
    });
    socket.on("error", (err) => upgraded || reject(err));
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: Upgrade\r\n` +
        "Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
  });
}
