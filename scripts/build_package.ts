/**
 * Builds the npm package: compiled ESM JavaScript and `.d.ts` declarations
 * for every entry point in `dist/`, then `npm pack` into `.tmp/package/`.
 *
 * The entry points come from `deno.json` `"exports"`, the one list of them:
 * the compiler is given exactly those files (and follows their imports), and
 * `package.json` `"exports"` must be the same list pointed at `dist/`.
 *
 * ```sh
 * node --import tsx scripts/build_package.ts          # sync package.json exports, build, pack
 * node --import tsx scripts/build_package.ts --check  # the same, but exit 1 when package.json
 *                                                     # exports disagree with deno.json
 * ```
 *
 * Prints the tarball's path on the last line of stdout.
 *
 * The compiler is `tsc` (TypeScript's own, the native one): it emits the
 * JavaScript and the declarations from one type-checked program, file for
 * file (`dist/` mirrors the sources, so a consumer's bundler tree-shakes per
 * module and stack traces name the real files), and fails the build on a type
 * error. esbuild cannot emit declarations.
 *
 * @module
 */

import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DIST = "dist";
const PACK_DIR = `${ROOT}.tmp/package/`;

/** One `package.json` export: declarations first, as TypeScript requires. */
export interface PackageExport {
  readonly types: string;
  readonly import: string;
}

/** Maps `deno.json` exports (`"./deno": "./src/runtime/deno.ts"`) to `package.json` exports. */
export function packageExports(
  denoExports: Readonly<Record<string, string>>,
): Record<string, PackageExport> {
  const out: Record<string, PackageExport> = {};
  for (const [key, source] of Object.entries(denoExports)) {
    if (!/^\.\/.*\.ts$/.test(source) || source.endsWith(".d.ts")) {
      throw new Error(`deno.json export ${key}: ${source} is not a ./…ts source file`);
    }
    const base = `./${DIST}/${source.slice(2, -3)}`;
    out[key] = { types: `${base}.d.ts`, import: `${base}.js` };
  }
  return out;
}

function readJson(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${ROOT}${path}`, "utf8")) as Record<string, unknown>;
}

function run(command: string, args: string[]): string {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: "utf8" });
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error(`${command} ${args.join(" ")} failed (${result.status ?? result.signal})`);
  }
  return result.stdout;
}

/** Every file under `dir`, recursively. */
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = `${dir}/${name}`;
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/**
 * `tsc` rewrites `./x.ts` imports to `./x.js` in the JavaScript but keeps them
 * in the declarations; a consumer's compiler resolves the `.js` form to the
 * `.d.ts` next to it.
 */
export function rewriteDeclarationImports(text: string): string {
  return text.replace(
    /(\bfrom\s*|\bimport\s*\(\s*|^import\s+)(["'])(\.\.?\/[^"'\n]*?)\.ts\2/gm,
    "$1$2$3.js$2",
  );
}

function main(): void {
  const check = process.argv.includes("--check");
  const deno = readJson("deno.json");
  const pkg = readJson("package.json");
  const wanted = packageExports(deno.exports as Record<string, string>);

  if (JSON.stringify(pkg.exports) !== JSON.stringify(wanted)) {
    if (check) {
      process.stderr.write(
        'package.json "exports" disagrees with deno.json "exports"; ' +
          "`npm run build` rewrites it. Expected:\n" + JSON.stringify(wanted, null, 2) + "\n",
      );
      process.exit(1);
    }
    pkg.exports = wanted;
    writeFileSync(`${ROOT}package.json`, JSON.stringify(pkg, null, 2) + "\n");
    process.stderr.write("package.json: exports synced with deno.json\n");
  }

  const compilerOptions = (deno.compilerOptions ?? {}) as Record<string, unknown>;
  const tsconfig = {
    compilerOptions: {
      ...compilerOptions,
      target: "es2022",
      module: "nodenext",
      moduleResolution: "nodenext",
      lib: ["es2022", "dom", "dom.iterable"],
      types: ["node"],
      rewriteRelativeImportExtensions: true,
      declaration: true,
      rootDir: "../..",
      outDir: `../../${DIST}`,
      newLine: "lf",
      skipLibCheck: true,
    },
    // the entry points, plus the browser variants package.json "browser" maps files to
    // (imported by nothing, so not reached from an entry point)
    files: [
      ...Object.values(deno.exports as Record<string, string>),
      ...Object.values(pkg.browser as Record<string, string> ?? {}).filter((f) =>
        f.startsWith("./src/")
      ),
    ].map((s) => `../../${s}`),
  };
  rmSync(`${ROOT}${DIST}`, { recursive: true, force: true });
  mkdirSync(PACK_DIR, { recursive: true });
  writeFileSync(`${PACK_DIR}tsconfig.json`, JSON.stringify(tsconfig, null, 2));
  run(`${ROOT}node_modules/.bin/tsc`, ["-p", `${PACK_DIR}tsconfig.json`]);

  const emitted = walk(`${ROOT}${DIST}`);
  for (const file of emitted.filter((f) => f.endsWith(".d.ts"))) {
    writeFileSync(file, rewriteDeclarationImports(readFileSync(file, "utf8")));
  }
  for (const entry of Object.values(wanted)) {
    for (const file of [entry.types, entry.import]) {
      if (!emitted.includes(`${ROOT}${file.slice(2)}`)) throw new Error(`${file} was not emitted`);
    }
  }
  for (const [from, to] of Object.entries(pkg.browser as Record<string, string> ?? {})) {
    for (const file of from.startsWith(`./${DIST}`) ? [from, to] : []) {
      if (!emitted.includes(`${ROOT}${file.slice(2)}`)) {
        throw new Error(`package.json "browser" names ${file}, which was not emitted`);
      }
    }
  }

  for (const old of readdirSync(PACK_DIR).filter((f) => f.endsWith(".tgz"))) {
    rmSync(`${PACK_DIR}${old}`);
  }
  const packed = JSON.parse(
    run("npm", ["pack", "--json", "--pack-destination", PACK_DIR]),
  ) as { filename: string; files: { path: string }[]; size: number }[];
  const [info] = packed;
  if (!info) throw new Error("npm pack reported nothing");
  process.stderr.write(`${info.files.length} files, ${(info.size / 1024).toFixed(0)} KiB packed\n`);
  process.stdout.write(`${PACK_DIR}${info.filename}\n`);
}

if (import.meta.main ?? process.argv[1] === fileURLToPath(import.meta.url)) main();
