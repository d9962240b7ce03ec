/**
 * Parent namespaces: `io.of(/regex/)` and `io.of(fn)` create child
 * namespaces on demand, with the parent's middlewares and connection
 * handlers; a broadcast on the parent reaches every child.
 *
 * @module
 */

import { Adapter, type BroadcastOptions } from "../adapter/adapter.ts";
import type { Packet } from "../parser/socket_packet.ts";
import type { RemoteSocket } from "./broadcast_operator.ts";
import { Namespace, type NamespaceContext } from "./namespace.ts";
import type {
  DefaultEventsMap,
  EventNamesWithoutAck,
  EventParams,
  EventsMap,
} from "./typed_events.ts";

let parentCount = 0;

/**
 * The namespace returned by `io.of(regex | fn)`. Its name is internal
 * ("/_0", "/_1", ...); clients connect to its children.
 *
 * @example
 * ```ts ignore
 * const workspaces = io.of(/^\/workspace-\d+$/);
 * workspaces.on("connection", (socket) => socket.nsp.emit("joined", socket.id));
 * workspaces.emit("maintenance"); // every child namespace
 * ```
 */
export class ParentNamespace<
  ListenEvents extends EventsMap = DefaultEventsMap,
  EmitEvents extends EventsMap = ListenEvents,
  ServerSideEvents extends EventsMap = DefaultEventsMap,
  // deno-lint-ignore no-explicit-any
  SocketData = any,
> extends Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
  /** The child namespaces created so far. */
  readonly children: Set<Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>> =
    new Set();

  /** Made by `io.of(regex | fn)`; not for applications. */
  constructor(
    context: NamespaceContext<ListenEvents, EmitEvents, ServerSideEvents, SocketData>,
  ) {
    super(context, "/_" + parentCount++);
  }

  /** Internal: the parent's adapter only forwards broadcasts to the children. */
  override _initAdapter(): void {
    this.adapter = new ParentBroadcastAdapter(this, () => this.children);
  }

  /** Emits to every socket of every child namespace. */
  override emit<Ev extends EventNamesWithoutAck<EmitEvents>>(
    ev: Ev,
    ...args: EventParams<EmitEvents, Ev>
  ): boolean {
    for (const nsp of this.children) nsp.emit(ev, ...args);
    return true;
  }

  /** Internal: creates the child `name` with the parent's middlewares and handlers. */
  _createChild(name: string): Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData> {
    const context = this._context;
    const child = new Namespace<ListenEvents, EmitEvents, ServerSideEvents, SocketData>(
      context,
      name,
    );
    for (const fn of this._fns) child.use(fn);
    for (const listener of this.listeners("connect")) child.on("connect", listener);
    for (const listener of this.listeners("connection")) child.on("connection", listener);
    this.children.add(child);
    if (context.cleanupEmptyChildren) {
      child._onEmpty = () => {
        void child.adapter.close();
        context.remove(child);
        this.children.delete(child);
      };
    }
    context.register(child);
    return child;
  }

  /** Not supported: a child may exist on one server and not on another. */
  override fetchSockets(): Promise<RemoteSocket<EmitEvents, SocketData>[]> {
    throw new Error("fetchSockets() is not supported on parent namespaces");
  }
}

/** Forwards broadcasts to the children's adapters; a parent has no sockets of its own. */
class ParentBroadcastAdapter extends Adapter {
  #children: () => Iterable<{ adapter: Adapter }>;

  constructor(nsp: ParentNamespace, children: () => Iterable<{ adapter: Adapter }>) {
    super(nsp);
    this.#children = children;
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    for (const child of this.#children()) child.adapter.broadcast(packet, opts);
  }
}
