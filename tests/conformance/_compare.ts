/**
 * The differential runner: each scenario is played against the official
 * server and against sio-edge on every runtime, and what sio-edge answered
 * (ids normalised) must deep-equal what the official server answered —
 * except where a scenario's `edge` spells out a deliberate difference, or
 * {@link RUNTIME_GAPS} a known one of a runtime's glue.
 *
 * Environment: `CONF_RUNTIMES=node,deno` picks the sio-edge runtimes (all
 * three by default), `CONF_ONLY=<text>` the scenarios whose name contains
 * it, `CONF_DEBUG=1` prints both observations whole on a mismatch, and
 * `CONF_DUMP=1` prints every official observation.
 *
 * @module
 */

import assert from "node:assert/strict";
import process from "node:process";
import { after, before, describe, it } from "node:test";
import {
  closeTargets,
  edgeRuntimes,
  type EdgeTarget,
  startTargets,
  type Target,
  type TargetName,
} from "./_targets.ts";
import { Ids } from "./_ids.ts";

/** One scripted exchange. */
export interface Scenario {
  /** What the scenario does, as the test name. */
  readonly name: string;
  /** Plays the exchange; returns what was observed (ids are normalised afterwards). */
  run(target: Target, ids: Ids): Promise<unknown>;
  /**
   * Where sio-edge deliberately differs: what it must answer instead, made
   * from the official server's (normalised) observation. Say why beside it.
   */
  edge?: (official: unknown, runtime: EdgeTarget) => unknown;
  /**
   * Where the scenario does not apply (say why beside it): e.g. what only a
   * runtime's own listener does, which a Worker never sees.
   */
  readonly skip?: readonly EdgeTarget[];
}

/** Registers a `describe` block that compares every scenario on every runtime. */
export function conformance(title: string, scenarios: readonly Scenario[]): void {
  describe(title, () => {
    const runtimes = edgeRuntimes();
    let targets: Map<TargetName, Target> | undefined;
    const official = new Map<Scenario, Promise<unknown>>();

    const observe = async (scenario: Scenario, name: TargetName): Promise<unknown> => {
      const target = targets?.get(name);
      if (!target) throw new Error(`${name} did not start`);
      const ids = new Ids();
      try {
        return ids.norm(await scenario.run(target, ids));
      } catch (err) {
        throw new Error(`on ${name}: ${(err as Error).message}`, { cause: err });
      }
    };

    before(async () => {
      targets = await startTargets(["official", ...runtimes]);
    }, { timeout: 60_000 });
    after(() => closeTargets(targets));

    // CONF_ONLY=<text> plays only the scenarios whose name contains it
    const only = process.env.CONF_ONLY;
    for (const scenario of scenarios.filter((s) => !only || s.name.includes(only))) {
      for (const runtime of runtimes) {
        if (scenario.skip?.includes(runtime)) continue;
        it(`${scenario.name} (${runtime})`, async () => {
          let wanted = official.get(scenario);
          if (!wanted) official.set(scenario, wanted = observe(scenario, "official"));
          const reference = await wanted;
          // CONF_DUMP=1 prints what the official server answered
          if (process.env.CONF_DUMP) console.log(scenario.name, JSON.stringify(reference, null, 1));
          const edge = scenario.edge ? scenario.edge(reference, runtime) : reference;
          const expected = RUNTIME_GAPS[runtime](edge);
          const actual = await observe(scenario, runtime);
          // CONF_DEBUG=1 prints both observations whole instead of a diff
          const message = process.env.CONF_DEBUG
            ? `\nexpected: ${JSON.stringify(expected)}\nactual:   ${JSON.stringify(actual)}`
            : undefined;
          assert.deepEqual(actual, expected, message);
        });
      }
    }
  });
}

/**
 * Known gaps of one runtime's glue (`src/runtime/*.ts`), not of the core:
 * what that runtime's answers differ in, applied after a scenario's `edge`.
 * They are bugs to fix in the runtime file; each entry says how, and a test
 * fails (as it should) once the fix lands and the entry is still here.
 */
const RUNTIME_GAPS: Record<EdgeTarget, (expected: unknown) => unknown> = {
  // Bun enforces the message size limit itself and closes with its own
  // reason; the official server's 1009 has none.
  bun: (expected) => replaceIn(expected, "<close 1009 >", "<close 1009 Received too big message>"),
  node: (expected) => expected,
  deno: (expected) => expected,
  workerd: (expected) => expected,
};

/** `value` as JSON with `from` replaced by `to` everywhere (for `edge` rewrites). */
export function replaceIn<T>(value: T, from: string, to: string): T {
  return JSON.parse(JSON.stringify(value).replaceAll(from, to)) as T;
}
