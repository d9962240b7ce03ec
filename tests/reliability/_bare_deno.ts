/**
 * A bare `Deno.serve` + `Deno.upgradeWebSocket` server that speaks just enough
 * of Engine.IO v4 / Socket.IO v5 for the idle scenario (open packet, CONNECT,
 * a ping every `SIO_PING_INTERVAL` after each pong, "ping timeout" after
 * `SIO_PING_TIMEOUT` without one, `stall` and `stats`): one `setTimeout` per
 * deadline and nothing else, to tell what Deno itself does under load from
 * what sio-edge does. No sio-edge code runs here.
 *
 * Usage: `deno run -A tests/reliability/_bare_deno.ts`; prints `{"port":N}`.
 *
 * @module
 */

const env = (name: string, fallback: number) => Number(Deno.env.get(name) || fallback);
const pingInterval = env("SIO_PING_INTERVAL", 25_000);
const pingTimeout = env("SIO_PING_TIMEOUT", 20_000);
const reasons: Record<string, number> = {};
let sessions = 0;
let sockets = 0;
let nextId = 0;

function session(socket: WebSocket): void {
  const sid = `s${++nextId}`;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let connected = false;
  let open = true;
  const end = (reason: string) => {
    if (!open) return;
    open = false;
    clearTimeout(timer);
    sessions--;
    if (connected) {
      sockets--;
      reasons[reason] = (reasons[reason] ?? 0) + 1;
    }
    if (socket.readyState === WebSocket.OPEN) socket.close();
  };
  const schedulePing = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      socket.send("2");
      timer = setTimeout(() => end("ping timeout"), pingTimeout);
    }, pingInterval);
  };
  socket.addEventListener("open", () => {
    sessions++;
    socket.send(
      "0" + JSON.stringify({ sid, upgrades: [], pingInterval, pingTimeout, maxPayload: 1e6 }),
    );
    schedulePing();
  });
  socket.addEventListener("message", ({ data }) => {
    if (typeof data !== "string") return;
    if (data === "3") return schedulePing();
    if (data === "40" && !connected) {
      connected = true;
      sockets++;
      return socket.send(`40{"sid":"${sid}"}`);
    }
    const ack = /^42(\d+)\["stats"\]$/.exec(data);
    if (ack) {
      (globalThis as { gc?: () => void }).gc?.();
      const m = Deno.memoryUsage();
      const stats = { sessions, sockets, heapUsed: m.heapUsed, rss: m.rss, reasons };
      return socket.send(`43${ack[1]}${JSON.stringify([stats])}`);
    }
    const stall = /^42\["stall",(\d+)\]$/.exec(data);
    if (stall) {
      const until = Date.now() + Math.min(Number(stall[1]), 5_000);
      while (Date.now() < until) { /* busy */ }
    }
  });
  socket.addEventListener("close", () => end("transport close"));
}

const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
  if (req.headers.get("upgrade")?.toLowerCase() !== "websocket") {
    return new Response("Not Found", { status: 404 });
  }
  const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: 0 });
  session(socket);
  return response;
});
console.log(JSON.stringify({ port: server.addr.port }));
