/**
 * Keeps the layering of ../shared/DESIGN.md true: which folder of src/ may
 * import which, and runtime globals only in src/runtime/.
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
  socket: ["engine", "adapter", "parser", "util", "store"],
  client: ["engine", "parser", "util"],
  integrations: ["engine", "socket", "adapter", "parser", "store", "util", "runtime"],
  runtime: ["engine", "socket", "adapter", "parser", "store", "util"],
};

const RUNTIME_GLOBALS = /\bDeno\.|\bBun\.|\bWebSocketPair\b|from\s+["']node:/;

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

  it("runtime globals and node: modules appear only in src/runtime/", () => {
    const violations = files
      .filter((f) => !relative(SRC, f).startsWith("runtime/"))
      .filter((f) => RUNTIME_GLOBALS.test(code(readFileSync(f, "utf8"))))
      .map((f) => relative(ROOT, f));
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
  });
});
