/**
 * Keeps the layering of ARCHITECTURE.md true: which folder of src/ may import
 * which, `_private.ts` files imported only from their own folder, no import
 * cycle in src/, and runtime globals only in src/runtime/ (with one named
 * exception, src/util/host.ts).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "..");
const SRC = join(ROOT, "src");

/** Folders of src/ each folder may import from (besides itself). */
const ALLOWED: Record<string, string[]> = {
  parser: [],
  util: [],
  store: [],
  engine: ["parser", "store", "util"],
  adapter: ["parser", "util"],
  socket: ["engine", "adapter", "parser", "util"],
  client: ["parser", "util"],
  integrations: ["engine", "socket", "adapter", "parser", "store", "util", "runtime"],
  runtime: ["engine", "socket", "adapter", "parser", "store", "util"],
};

/** The globals only some runtimes have. */
const RUNTIME_NAMES = "Deno|Bun|WebSocketPair|process|Buffer";

/**
 * A look at a runtime global: used as a value (`Deno.serve`, `process?.env`,
 * `Buffer[...]`), tested (`typeof Bun`, `"Deno" in globalThis`), read off
 * `globalThis` (`globalThis.Bun`, `globalThis["Deno"]`, `(globalThis as …)`),
 * `require()`, or a `node:` module.
 */
const RUNTIME_GLOBALS = new RegExp(
  [
    `(?<![.\\w$])(?:${RUNTIME_NAMES})\\s*(?:\\?\\.|\\.|\\[)`,
    `\\btypeof\\s+(?:${RUNTIME_NAMES})\\b`,
    `["'](?:${RUNTIME_NAMES})["']\\s+in\\b`,
    `\\bglobalThis\\s*\\??\\.\\s*(?:${RUNTIME_NAMES})\\b`,
    `\\bglobalThis\\s*\\[`,
    `\\bglobalThis\\s+as\\b`,
    `\\bWebSocketPair\\b`,
    `(?<![.\\w$])require\\s*\\(`,
    `\\bfrom\\s+["']node:`,
    `\\bimport\\(\\s*["']node:`,
  ].join("|"),
);

/** A packet type digit glued to data by hand, as in `"4" + text` (the parser's job). */
const ENGINE_IO_FRAMING = /["'][0-6]["']\s*\+/;

/**
 * The one file of the core outside src/runtime/ allowed to look at a runtime
 * global, and the phrase its comments must keep. It holds one accessor per
 * global, each saying why: `Deno.upgradeWebSocket` for a bare
 * `Deno.serve(io.handler())` (engine/_runtime_probe.ts), Node's `Buffer` for
 * the user's Redis client (adapter/redis/_client.ts), and the client's host
 * (location, window events, WebSocket, the Workers user agent, `process`).
 * A second file is a violation: add an accessor here instead.
 */
const RUNTIME_GLOBAL_EXCEPTION = {
  file: "util/host.ts",
  why: /The one look at the host's globals outside `src\/runtime\/`/,
};

/**
 * The import cycles of `files`: each strongly connected group of files (two
 * or more that reach each other through imports), as sorted paths relative
 * to src/ joined by " ", the groups sorted.
 */
function cycles(files: string[], read: (file: string) => string): string[] {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = importsOf(read(file))
      .filter((spec) => spec.startsWith("."))
      .map((spec) => resolve(dirname(file), spec))
      .filter((target) => files.includes(target));
    graph.set(file, targets);
  }
  // Tarjan's algorithm
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[] = [];
  const visit = (file: string): void => {
    index.set(file, index.size);
    low.set(file, index.get(file)!);
    stack.push(file);
    onStack.add(file);
    for (const next of graph.get(file)!) {
      if (!index.has(next)) {
        visit(next);
        low.set(file, Math.min(low.get(file)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(file, Math.min(low.get(file)!, index.get(next)!));
      }
    }
    if (low.get(file) !== index.get(file)) return;
    const group: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      group.push(relative(SRC, member));
    } while (member !== file);
    if (group.length > 1) groups.push(group.sort().join(" "));
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return groups.sort();
}

/** Imports of a `_private.ts` file from outside its folder. */
function privateViolations(file: string, source: string): string[] {
  const out: string[] = [];
  for (const spec of importsOf(source)) {
    if (!spec.startsWith(".")) continue;
    const target = resolve(dirname(file), spec);
    const name = target.split("/").pop()!;
    if (name.startsWith("_") && dirname(target) !== dirname(file)) {
      out.push(`${relative(ROOT, file)} imports ${relative(ROOT, target)}`);
    }
  }
  return out;
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...tsFiles(path));
    else if (name.endsWith(".ts")) out.push(path);
  }
  return out;
}

function importsOf(source: string): string[] {
  const specs: string[] = [];
  const re =
    /(?:^|\n)\s*(?:import|export)\b[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;
  for (const m of source.matchAll(re)) specs.push((m[1] ?? m[2])!);
  return specs;
}

/** Top-level declarations that are not exported and still start with `_` (ARCHITECTURE.md: no prefix). */
const PREFIXED_PRIVATE =
  /^(?:(?:async|declare|abstract)\s+)*(?:function\*?|const|let|var|class|interface|type|enum)\s+(_\w+)/gm;

function prefixedPrivates(source: string): string[] {
  return [...code(source).matchAll(PREFIXED_PRIVATE)].map((m) => m[1]!);
}

/** Source without comments, so prose that names a runtime does not count. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:])\/\/.*$/gm, "$1");
}

describe("import rules", () => {
  const files = tsFiles(SRC);

  it("finds the source tree", () => {
    assert.ok(files.length > 10, `only ${files.length} files under src/`);
  });

  it("each src/ folder imports only the folders below it", () => {
    const violations: string[] = [];
    for (const file of files) {
      const folder = relative(SRC, file).split("/")[0]!;
      const allowed = ALLOWED[folder];
      assert.ok(allowed, `unexpected folder src/${folder}`);
      for (const spec of importsOf(readFileSync(file, "utf8"))) {
        if (!spec.startsWith(".")) {
          if (folder !== "runtime" && folder !== "integrations") {
            violations.push(`${relative(ROOT, file)} imports package "${spec}"`);
          }
          continue;
        }
        const target = relative(SRC, resolve(dirname(file), spec));
        if (target.startsWith("..")) {
          violations.push(`${relative(ROOT, file)} imports outside src: ${spec}`);
          continue;
        }
        const targetFolder = target.split("/")[0]!;
        if (targetFolder !== folder && !allowed.includes(targetFolder)) {
          violations.push(`${relative(ROOT, file)} (${folder}) imports ${targetFolder}: ${spec}`);
        }
      }
    }
    assert.deepEqual(violations, []);
  });

  it("runtime globals and node: modules appear only in src/runtime/ (and the one named exception)", () => {
    const violations = files
      .filter((f) => !relative(SRC, f).startsWith("runtime/"))
      .filter((f) => relative(SRC, f) !== RUNTIME_GLOBAL_EXCEPTION.file)
      // the served browser bundles: JavaScript text in strings, not code of ours
      .filter((f) => !f.endsWith(".generated.ts"))
      .filter((f) => RUNTIME_GLOBALS.test(code(readFileSync(f, "utf8"))))
      .map((f) => relative(ROOT, f));
    assert.deepEqual(violations, []);
    // the exception still needs to be one, and still says why
    const source = readFileSync(join(SRC, RUNTIME_GLOBAL_EXCEPTION.file), "utf8");
    assert.ok(
      RUNTIME_GLOBALS.test(code(source)),
      `${RUNTIME_GLOBAL_EXCEPTION.file} no longer needs to be an exception`,
    );
    assert.match(source, RUNTIME_GLOBAL_EXCEPTION.why);
  });

  it("a _private.ts file is imported only from its own folder", () => {
    const violations = [...files, join(ROOT, "mod.ts")]
      .flatMap((f) => privateViolations(f, readFileSync(f, "utf8")));
    assert.deepEqual(violations, []);
  });

  it("src/ has no import cycle, type-only imports included", () => {
    assert.deepEqual(cycles(files, (f) => readFileSync(f, "utf8")), []);
  });

  it("no Engine.IO framing (a packet type digit glued to data) outside src/parser/", () => {
    const violations = files
      .filter((f) => !relative(SRC, f).startsWith("parser/") && !f.endsWith(".generated.ts"))
      .filter((f) => ENGINE_IO_FRAMING.test(code(readFileSync(f, "utf8"))))
      .map((f) => relative(ROOT, f));
    assert.deepEqual(violations, []);
  });

  it("module-private names carry no _ prefix (it marks files and class members only)", () => {
    const violations = files
      .filter((f) => !f.endsWith(".generated.ts"))
      .flatMap((f) =>
        prefixedPrivates(readFileSync(f, "utf8")).map((n) => `${relative(ROOT, f)}: ${n}`)
      );
    assert.deepEqual(violations, []);
  });

  it("mod.ts imports no runtime module", () => {
    const specs = importsOf(readFileSync(join(ROOT, "mod.ts"), "utf8"));
    assert.ok(specs.length > 0);
    assert.deepEqual(
      specs.filter((s) => s.includes("/runtime/") || s.includes("/integrations/")),
      [],
    );
  });

  it("the checker catches a violation", () => {
    // guards the guard: a forbidden import and a runtime global are detected
    assert.deepEqual(importsOf('import { x } from "../socket/server.ts";'), [
      "../socket/server.ts",
    ]);
    assert.ok(RUNTIME_GLOBALS.test(code("const s = Deno.serve(h);")));
    assert.ok(!RUNTIME_GLOBALS.test(code("// Deno.serve is mentioned in prose")));
    assert.ok(RUNTIME_GLOBALS.test(code('const d = (globalThis as any)["Deno"];')));
    assert.ok(RUNTIME_GLOBALS.test(code('const d = globalThis["Bun"];')));
    assert.ok(RUNTIME_GLOBALS.test(code("const b = globalThis.Bun;")));
    assert.ok(RUNTIME_GLOBALS.test(code("if (typeof Deno !== 'undefined') go();")));
    assert.ok(RUNTIME_GLOBALS.test(code('if ("Bun" in globalThis) go();')));
    assert.ok(RUNTIME_GLOBALS.test(code("const env = process?.env;")));
    assert.ok(RUNTIME_GLOBALS.test(code("const b = Buffer.from(bytes);")));
    assert.ok(RUNTIME_GLOBALS.test(code('const ws = require("ws");')));
    assert.ok(RUNTIME_GLOBALS.test(code('const fs = await import("node:fs");')));
    assert.ok(RUNTIME_GLOBALS.test(code("const host = globalThis as Host;")));
    assert.ok(!RUNTIME_GLOBALS.test(code("globalThis.setTimeout(f, 1);")));
    assert.ok(!RUNTIME_GLOBALS.test(code("queue.process(job); const b = x.Buffer;")));
    assert.deepEqual(
      prefixedPrivates("function _walk() {}\nexport function _ok() {}\nconst _N = 1;"),
      [
        "_walk",
        "_N",
      ],
    );
    assert.ok(ENGINE_IO_FRAMING.test(code('ws.send("4" + text);')));
    assert.ok(!ENGINE_IO_FRAMING.test(code("ws.send(messageFrame(text));")));
    assert.deepEqual(
      privateViolations(join(SRC, "socket/a.ts"), 'import { x } from "../engine/_verify.ts";'),
      ["src/socket/a.ts imports src/engine/_verify.ts"],
    );
    assert.deepEqual(
      privateViolations(join(SRC, "engine/a.ts"), 'import { x } from "./_verify.ts";'),
      [],
    );
    const a = join(SRC, "x/a.ts"), b = join(SRC, "x/b.ts"), c = join(SRC, "x/c.ts");
    const sources: Record<string, string> = {
      [a]: 'import type { B } from "./b.ts";',
      [b]: 'import { C } from "./c.ts";',
      [c]: 'export { A } from "./a.ts";',
    };
    // a cycle closed by a type-only import counts
    assert.deepEqual(cycles([a, b, c], (f) => sources[f]!), ["x/a.ts x/b.ts x/c.ts"]);
    sources[c] = "";
    assert.deepEqual(cycles([a, b, c], (f) => sources[f]!), []);
  });
});
