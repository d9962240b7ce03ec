/**
 * The HTTP long-polling transport of the client, on `fetch` (no
 * XMLHttpRequest): a GET at a time waits for packets, a POST carries a batch.
 * Every request can be aborted; closing aborts the pending GET, and
 * `requestTimeout` bounds each request.
 *
 * @module
 */

import type { Packet } from "../parser/engine_packet.ts";
import { decodePayload, encodePayload } from "./_codec.ts";
import { parserError, Transport } from "./_transport.ts";
import { request } from "./_request.ts";
import { nodeFetch } from "./_node.ts";

/** Long-polling over `fetch`. */
export class Polling extends Transport {
  /** The name on the wire. */
  static readonly transportName = "polling";
  /** The name on the wire. */
  readonly name = "polling";
  #polling = false;
  #get: AbortController | undefined;

  protected doOpen(): void {
    this.#poll();
  }

  protected doClose(): void {
    const close = () => this.write([{ type: "close" }]);
    if (this.readyState === "open") close();
    else this.once("open", close);
    this.#get?.abort();
  }

  override pause(onPause: () => void): void {
    this.readyState = "pausing";
    // one for each request in flight, and one for this call (its done() below)
    let waiting = 1;
    const done = () => {
      if (--waiting > 0) return;
      this.readyState = "paused";
      onPause();
    };
    if (this.#polling) {
      waiting++;
      this.once("pollComplete", done);
    }
    if (!this.writable) {
      waiting++;
      this.once("drain", done);
    }
    done();
  }

  /** The longest prefix of `buffer` that fits one payload under `maxPayload` (at least one packet). */
  override pick(buffer: Packet[], maxPayload: number): Packet[] {
    let size = 1;
    for (let i = 0; maxPayload && buffer.length > 1 && i < buffer.length; i++) {
      const data = buffer[i]!.data ?? "";
      // base64 makes binary 4/3 larger, plus its "b" prefix
      size += typeof data === "string"
        ? new TextEncoder().encode(data).length
        : Math.ceil(data.byteLength / 3) * 4 + 1;
      if (i && size > maxPayload) return buffer.slice(0, i);
      size += 2; // the type digit and the separator
    }
    return buffer;
  }

  protected write(packets: Packet[]): void {
    this.writable = false;
    this.#send("POST", encodePayload(packets)).then((text) => {
      if (text === undefined) return;
      this.writable = true;
      this.emit("drain");
    });
  }

  #poll(): void {
    this.#polling = true;
    this.#send("GET").then((text) => {
      if (text !== undefined) this.#onPayload(text);
    });
  }

  #onPayload(payload: string): void {
    let packets: Packet[];
    try {
      packets = decodePayload(payload);
    } catch {
      return void this.emit("error", parserError());
    }
    for (const packet of packets) {
      if (this.readyState === "opening" && packet.type === "open") this.onOpen();
      if (packet.type === "close") {
        return this.onClose({ description: "transport closed by the server" });
      }
      this.emit("packet", packet);
    }
    if (this.readyState === "closed") return;
    this.#polling = false;
    this.emit("pollComplete");
    if (this.readyState === "open") this.#poll();
  }

  /** One request; resolves with the body, or undefined after reporting the error. */
  async #send(method: "GET" | "POST", body?: string): Promise<string | undefined> {
    const controller = new AbortController();
    if (method === "GET") this.#get = controller;
    const limit = this.opts.requestTimeout;
    const timer = limit ? setTimeout(() => controller.abort(), limit) : undefined;
    const reason = method === "GET" ? "fetch read error" : "fetch write error";
    try {
      const init: RequestInit = { method, signal: controller.signal };
      if (body !== undefined) {
        init.body = body;
        init.headers = { "content-type": "text/plain;charset=UTF-8" };
      }
      const res = await request(
        this.opts,
        this.uri("http", this.opts.timestampRequests !== false),
        init,
        // on Node, node:http (unref'd with autoUnref), as the official client
        this.opts.fetch ?? nodeFetch(this.opts.autoUnref as boolean | undefined),
      );
      if (!res.ok) {
        await res.body?.cancel();
        this.onError(reason, res.status, res);
        return undefined;
      }
      return await res.text();
    } catch (err) {
      // a request aborted by close() is no error: the transport is gone
      if (this.readyState !== "closed") this.onError(reason, err);
      return undefined;
    } finally {
      clearTimeout(timer as number | undefined);
    }
  }
}
