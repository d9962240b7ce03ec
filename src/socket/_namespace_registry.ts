/**
 * The namespaces of a server: by name, and the parent namespaces that create
 * children on demand (`io.of(regex | fn)`).
 *
 * @module
 */

import { Namespace, type NamespaceContext } from "./namespace.ts";
import { ParentNamespace } from "./parent_namespace.ts";
import type { ParentNspNameMatchFn } from "./socket_types.ts";
import type { Socket } from "./socket.ts";
import type { EventsMap } from "./typed_events.ts";

/** Every namespace of one server. */
export class NamespaceRegistry<L extends EventsMap, E extends EventsMap, S extends EventsMap, D> {
  /** The concrete namespaces by name (children of parents included). */
  readonly nsps: Map<string, Namespace<L, E, S, D>> = new Map();
  #context: NamespaceContext<L, E, S, D>;
  #announce: (nsp: Namespace<L, E, S, D>) => void;
  #parents = new Map<ParentNspNameMatchFn, ParentNamespace<L, E, S, D>>();
  #parentsFromRegExp = new Map<RegExp, ParentNamespace<L, E, S, D>>();

  /** `announce` tells the main namespace of a new one (`new_namespace`). */
  constructor(
    context: NamespaceContext<L, E, S, D>,
    announce: (nsp: Namespace<L, E, S, D>) => void,
  ) {
    this.#context = context;
    this.#announce = announce;
  }

  /** What `io.of()` does. */
  of(
    name: string | RegExp | ParentNspNameMatchFn,
    fn?: (socket: Socket<L, E, S, D>) => void,
  ): Namespace<L, E, S, D> {
    if (typeof name === "function" || name instanceof RegExp) {
      const parent = new ParentNamespace<L, E, S, D>(this.#context);
      if (typeof name === "function") {
        this.#parents.set(name, parent);
      } else {
        const regex = name;
        this.#parents.set((nsp, _auth, next) => next(null, regex.test(nsp)), parent);
        this.#parentsFromRegExp.set(regex, parent);
      }
      if (fn) parent.on("connect", fn);
      return parent;
    }
    if (!name.startsWith("/")) name = "/" + name;
    let nsp = this.nsps.get(name);
    if (!nsp) nsp = this.#childOfRegExp(name) ?? this.#create(name);
    if (fn) nsp.on("connect", fn);
    return nsp;
  }

  #childOfRegExp(name: string): Namespace<L, E, S, D> | undefined {
    for (const [regex, parent] of this.#parentsFromRegExp) {
      if (regex.test(name)) return parent._createChild(name);
    }
    return undefined;
  }

  #create(name: string): Namespace<L, E, S, D> {
    const nsp = new Namespace<L, E, S, D>(this.#context, name);
    this.register(nsp);
    return nsp;
  }

  /** Records a new namespace and announces it (`new_namespace`). */
  register(nsp: Namespace<L, E, S, D>): void {
    this.nsps.set(nsp.name, nsp);
    // the main namespace is created first, in the server's constructor: nobody listens yet
    if (nsp.name !== "/") this.#announce(nsp);
  }

  /** Forgets an emptied child namespace. */
  remove(nsp: Namespace<L, E, S, D>): void {
    if (this.nsps.get(nsp.name) === nsp) this.nsps.delete(nsp.name);
  }

  /**
   * The namespace a client asks for: an existing one, or a child that the
   * first consenting parent creates; `undefined` when none does.
   */
  lookup(
    name: string,
    auth: Record<string, unknown>,
    fn: (nsp: Namespace<L, E, S, D> | undefined) => void,
  ): void {
    const existing = this.nsps.get(name);
    if (existing) return fn(existing);
    const candidates = [...this.#parents];
    const next = (i: number): void => {
      const entry = candidates[i];
      if (!entry) return fn(undefined);
      const [match, parent] = entry;
      let answered = false;
      const answer = (err: Error | null, allow: boolean) => {
        if (answered) return;
        answered = true;
        if (err || !allow) return next(i + 1);
        // the namespace may have been created while the check was pending
        fn(this.nsps.get(name) ?? parent._createChild(name));
      };
      try {
        match(name, auth, answer);
      } catch (err) {
        answer(err instanceof Error ? err : new Error(String(err)), false);
      }
    };
    next(0);
  }
}
