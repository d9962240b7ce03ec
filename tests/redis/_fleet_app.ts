/**
 * What every node of a test fleet runs, official Socket.IO server or
 * sio-edge alike (the two have the same API): clients of "/" are tagged with
 * the node's name, and a control client on "/control" asks the node to run
 * one cluster operation and answers with its result.
 *
 * @module
 */

// deno-lint-ignore-file no-explicit-any
type Any = any;

/** One operation asked over "/control": `op(name, args, ack)`. */
export interface OpRequest {
  to?: string[];
  except?: string[];
  volatile?: boolean;
  compress?: boolean;
  local?: boolean;
  timeout?: number;
  event?: string;
  args?: unknown[];
  rooms?: string[];
  close?: boolean;
  id?: string;
  action?: "emit" | "join" | "leave" | "disconnect";
}

/** Installs the fleet handlers on `io` for node `name`. */
export function installFleet(io: Any, name: string): void {
  const received: unknown[][] = [];
  const main = io.of("/");
  main.on("connection", (socket: Any) => {
    socket.data = { node: name };
    socket.join("node-" + name);
    socket.on("join", (room: string, cb?: () => void) => {
      socket.join(room);
      cb?.();
    });
  });
  main.on("sse", (...args: unknown[]) => {
    const last = args[args.length - 1];
    if (typeof last === "function") {
      received.push(args.slice(0, -1));
      last("ack-from-" + name);
    } else received.push(args);
  });
  const select = (req: OpRequest) => {
    let op = main;
    if (req.to?.length) op = op.to(req.to);
    if (req.except?.length) op = op.except(req.except);
    if (req.volatile) op = op.volatile;
    if (req.compress !== undefined) op = op.compress(req.compress);
    if (req.local) op = op.local;
    return op;
  };
  const ops: Record<string, (req: OpRequest) => unknown> = {
    emit: (req) => select(req).emit(req.event, ...(req.args ?? [])),
    emitWithAck: (req) =>
      select(req).timeout(req.timeout ?? 2000).emitWithAck(req.event, ...(req.args ?? [])),
    // the callback form: timeout().emit(event, ...args, (err, answers) => …)
    emitWithCallback: (req) =>
      new Promise((resolve, reject) =>
        select(req).timeout(req.timeout ?? 2000).emit(
          req.event,
          ...(req.args ?? []),
          (err: Error | null, answers: unknown[]) => (err ? reject(err) : resolve(answers)),
        )
      ),
    fetchSockets: async (req) =>
      (await select(req).fetchSockets()).map((s: Any) => ({
        id: s.id,
        rooms: [...s.rooms].sort(),
        data: s.data,
        hasHandshake: typeof s.handshake?.headers === "object",
      })),
    remote: async (req) => {
      const sockets = await main.fetchSockets();
      const socket = sockets.find((s: Any) => s.id === req.id);
      if (!socket) return "not found";
      if (req.action === "emit") socket.emit(req.event, ...(req.args ?? []));
      else if (req.action === "join") socket.join(req.rooms);
      else if (req.action === "leave") socket.leave(req.rooms?.[0]);
      else socket.disconnect(req.close === true);
      return "done";
    },
    socketsJoin: (req) => select(req).socketsJoin(req.rooms),
    socketsLeave: (req) => select(req).socketsLeave(req.rooms),
    disconnectSockets: (req) => select(req).disconnectSockets(req.close === true),
    serverSideEmit: (req) => main.serverSideEmit(req.event, ...(req.args ?? [])),
    serverSideEmitWithAck: (req) => main.serverSideEmitWithAck(req.event, ...(req.args ?? [])),
    received: () => received.splice(0),
    allRooms: async () => [...await main.adapter.allRooms()].sort(),
    serverCount: () => main.adapter.serverCount(),
  };
  io.of("/control").on("connection", (socket: Any) => {
    socket.on("op", async (name: string, req: OpRequest, ack: (answer: unknown) => void) => {
      try {
        const value = await ops[name]!(req ?? {});
        ack({ ok: value === undefined || typeof value === "boolean" ? null : value });
      } catch (err) {
        ack({ error: (err as Error).message });
      }
    });
  });
}
