/**
 * The official Admin UI against `sio-edge/admin-ui`, in Debian's Chromium
 * (playwright-core): the UI's own static app (`@socket.io/admin-ui`'s
 * `ui/dist`, served from 127.0.0.1) logs in with basic authentication to a
 * sio-edge server on Deno that three official clients joined rooms on, shows
 * each room with its number of sockets, then a join and a disconnect issued
 * from the UI's socket page act on the server.
 *
 * On failure a screenshot is kept in `.tmp/screenshots/`.
 *
 * @module
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { io as connect, type Socket } from "socket.io-client";
import { startServer, type TestServer } from "../_support/fixture.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const UI = `${ROOT}node_modules/@socket.io/admin-ui/ui/dist/`;
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const STEP_TIMEOUT_MS = 10_000;
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  js: "text/javascript",
  css: "text/css",
  png: "image/png",
  svg: "image/svg+xml",
  json: "application/json",
  map: "application/json",
  woff: "font/woff",
  woff2: "font/woff2",
  ttf: "font/ttf",
  eot: "application/vnd.ms-fontobject",
};

/** Serves the UI's static files on 127.0.0.1; nothing outside `ui/dist/`. */
async function serveUi(): Promise<{ url: string; close(): Promise<void> }> {
  const server: HttpServer = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = path === "/" ? "index.html" : path.slice(1);
    if (file.split("/").includes("..") || !existsSync(`${UI}${file}`)) {
      res.writeHead(404).end();
      return;
    }
    const type = TYPES[file.slice(file.lastIndexOf(".") + 1)] ?? "application/octet-stream";
    res.writeHead(200, { "content-type": type }).end(readFileSync(`${UI}${file}`));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing in time`)), STEP_TIMEOUT_MS);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function client(url: string, rooms: string[]): Promise<Socket> {
  const socket = connect(url, { forceNew: true, reconnection: false, auth: { rooms } });
  await within(
    new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    }),
    "client connect",
  );
  return socket;
}

/** The "# of sockets" cell of `room`'s row in the Rooms view. */
async function roomCount(page: Page, room: string): Promise<string> {
  const row = page.locator("tbody tr").filter({
    has: page.locator("td").first().getByText(room, { exact: true }),
  });
  return (await row.locator("td").nth(2).innerText()).trim();
}

async function waitForRoomCount(page: Page, room: string, count: string): Promise<void> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  let seen = "";
  while (Date.now() < deadline) {
    seen = await roomCount(page, room).catch(() => "(no row)");
    if (seen === count) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`room ${room}: the UI shows ${seen} sockets, not ${count}`);
}

describe("the official Admin UI in Chromium, logged in to sio-edge/admin-ui", () => {
  let server: TestServer | undefined;
  let ui: { url: string; close(): Promise<void> } | undefined;
  let browser: Browser | undefined;
  const sockets: Socket[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: run \`bash scripts/ensure_system_tools.sh\``);
    }
    server = await startServer("deno", "admin_app");
    ui = await serveUi();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    for (const socket of sockets) socket.disconnect();
    await browser?.close();
    await ui?.close();
    await server?.close();
  });

  it("shows the rooms with their counts; a join and a disconnect from the UI act", async () => {
    const alice = await client(server!.url, ["red"]);
    const bob = await client(server!.url, ["red", "blue"]);
    const carol = await client(server!.url, ["blue"]);
    const dave = await client(server!.url, ["red"]);
    sockets.push(alice, bob, carol, dave);

    const context = await browser!.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    try {
      await page.goto(ui!.url);
      // a wrong password is refused
      await page.getByLabel("Server URL").fill(server!.url);
      await page.getByLabel("Username").fill("admin");
      await page.getByLabel("Password").fill("wrong");
      await page.getByRole("button", { name: "Connect" }).click();
      await page.getByText("invalid credentials").waitFor();

      await page.getByLabel("Password").fill("changeit");
      await page.getByRole("button", { name: "Connect" }).click();
      await page.getByLabel("Server URL").waitFor({ state: "hidden" });

      await page.goto(`${ui!.url}#/rooms/`);
      await waitForRoomCount(page, "red", "3");
      await waitForRoomCount(page, "blue", "2");

      // the servers view names this server
      await page.goto(`${ui!.url}#/servers/`);
      await page.getByText("edge-1").first().waitFor();

      // carol's page: join "green" from the UI
      await page.goto(`${ui!.url}#/n/%2F/sockets/${encodeURIComponent(carol.id!)}`);
      const combobox = page.getByLabel("Join a room");
      await combobox.fill("green");
      await page.getByRole("button").filter({ has: page.locator(".mdi-tag-plus-outline") }).click();
      const deadline = Date.now() + STEP_TIMEOUT_MS;
      let rooms: string[] = [];
      while (Date.now() < deadline) {
        rooms = await within(carol.emitWithAck("rooms"), "rooms") as string[];
        if (rooms.includes("green")) break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.deepEqual(rooms.sort(), [carol.id!, "blue", "green"].sort());
      await page.goto(`${ui!.url}#/rooms/`);
      await waitForRoomCount(page, "green", "1");

      // and disconnect bob from his page
      const disconnected = new Promise<string>((resolve) => bob.once("disconnect", resolve));
      await page.goto(`${ui!.url}#/n/%2F/sockets/${encodeURIComponent(bob.id!)}`);
      await page.getByRole("button").filter({ has: page.locator(".mdi-logout") }).last().click();
      assert.equal(await within(disconnected, "bob's disconnect"), "io server disconnect");
      await page.goto(`${ui!.url}#/rooms/`);
      await waitForRoomCount(page, "red", "2");
      await waitForRoomCount(page, "blue", "1");
      assert.equal(alice.connected && carol.connected && dave.connected, true);
      assert.deepEqual(errors, []);
    } catch (err) {
      mkdirSync(`${ROOT}.tmp/screenshots/`, { recursive: true });
      const path = `${ROOT}.tmp/screenshots/admin-ui.png`;
      await page.screenshot({ path, fullPage: true }).then(
        () => console.error(`screenshot: ${path}`),
        () => {},
      );
      throw err;
    } finally {
      await context.close();
    }
  });
});
