/**
 * The package build's bookkeeping: `package.json` `exports` are `deno.json`
 * `exports` pointed at `dist/`, and declarations import `.js`.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { packageExports, rewriteDeclarationImports } from "../../scripts/build_package.ts";

const ROOT = new URL("../../", import.meta.url);
const readJson = (name: string) => JSON.parse(readFileSync(new URL(name, ROOT), "utf8"));

describe("package build", () => {
  it("package.json exports are deno.json exports, compiled (npm run build syncs them)", () => {
    assert.deepEqual(
      readJson("package.json").exports,
      packageExports(readJson("deno.json").exports),
    );
  });

  it("maps a source entry to its declarations and module, types first", () => {
    const out = packageExports({ ".": "./mod.ts", "./deno": "./src/runtime/deno.ts" });
    assert.deepEqual(out, {
      ".": { types: "./dist/mod.d.ts", import: "./dist/mod.js" },
      "./deno": { types: "./dist/src/runtime/deno.d.ts", import: "./dist/src/runtime/deno.js" },
    });
    assert.deepEqual(Object.keys(out["."]!), ["types", "import"]);
  });

  it("refuses an entry that is not a TypeScript source", () => {
    assert.throws(() => packageExports({ ".": "./mod.js" }), /not a \.\/…ts source/);
    assert.throws(() => packageExports({ ".": "./types.d.ts" }), /not a \.\/…ts source/);
  });

  it("rewrites relative .ts imports in declarations, and nothing else", () => {
    const source = [
      'import type { A } from "./a.ts";',
      'export { B } from "../b/b.ts";',
      'export * from "./c.ts";',
      'type D = import("./d.ts").D;',
      'import { E } from "e.ts";',
      'import "node:buffer";',
      ' * import { F } from "./f.ts"; (doc comments too)',
    ].join("\n");
    assert.equal(
      rewriteDeclarationImports(source),
      [
        'import type { A } from "./a.js";',
        'export { B } from "../b/b.js";',
        'export * from "./c.js";',
        'type D = import("./d.js").D;',
        'import { E } from "e.ts";',
        'import "node:buffer";',
        ' * import { F } from "./f.js"; (doc comments too)',
      ].join("\n"),
    );
  });
});
