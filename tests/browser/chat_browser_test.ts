/**
 * The browser chat (examples/chat) in Debian's Chromium, driven by
 * playwright-core: two pages join a room and exchange messages, once with the
 * client's default transports (polling, then the upgrade to WebSocket) and
 * once forced to long-polling. The page loads the client bundle the server
 * serves at `/socket.io/socket.io.sio-edge.min.js` (sio-edge's own client).
 *
 * Needs `/usr/bin/chromium` (`bash scripts/ensure_system_tools.sh` installs it;
 * `CHROMIUM_PATH` points elsewhere). On failure a screenshot of each page is
 * kept in `.tmp/screenshots/`. Runs under `deno test -A`, `bun test` and
 * `node --import tsx --test` alike.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const SCREENSHOTS = `${ROOT}.tmp/screenshots/`;
const STEP_TIMEOUT_MS = 10_000;
const START_TIMEOUT_MS = 30_000;

interface ChatServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** Runs the chat as the README says (`deno run -A examples/chat/main.ts`), on a free port. */
async function startChat(): Promise<ChatServer> {
  const child = spawn(`${ROOT}node_modules/.bin/deno`, ["run", "-A", "examples/chat/main.ts"], {
    cwd: ROOT,
    env: { ...process.env, PORT: "0", NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no URL within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    const onData = (chunk: Uint8Array) => {
      output += new TextDecoder().decode(chunk);
      const match = /(http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Uint8Array) => (output += new TextDecoder().decode(chunk)));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the chat exited (${code}) before printing its URL:\n${output}`));
    });
  }).catch(async (err) => {
    await _kill(child, exited);
    throw err;
  });
  return { url, stop: () => _kill(child, exited) };
}

async function _kill(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
}

/** A chat page with the errors it raised. */
interface ChatPage {
  readonly page: Page;
  readonly errors: string[];
}

async function openChat(context: BrowserContext, url: string): Promise<ChatPage> {
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(err.message));
  await page.goto(url);
  return { page, errors };
}

async function join({ page }: ChatPage, nickname: string, room: string): Promise<void> {
  await page.fill("#join [name=nickname]", nickname);
  await page.fill("#join [name=room]", room);
  await page.click("#join button");
  await page.waitForSelector("#send [name=text]", { state: "visible" });
}

async function send({ page }: ChatPage, text: string): Promise<void> {
  await page.fill("#send [name=text]", text);
  await page.press("#send [name=text]", "Enter");
}

/** Text that is exactly `text`, for locator filters. */
function exactly(text: string): RegExp {
  return new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`);
}

/** Waits until the page shows a message from `from` with `text`. */
async function received({ page }: ChatPage, from: string, text: string): Promise<void> {
  await page.locator("#messages li.message:not(.mine)")
    .filter({ has: page.locator(".from", { hasText: exactly(from) }) })
    .filter({ has: page.locator(".text", { hasText: exactly(text) }) })
    .waitFor();
}

/** Waits until the page's own message `text` shows two ticks (acknowledged by the room). */
async function deliveredTicks({ page }: ChatPage, text: string): Promise<void> {
  await page.locator("#messages li.mine")
    .filter({ has: page.locator(".text", { hasText: exactly(text) }) })
    .locator('.ticks[data-state="delivered"]')
    .waitFor();
}

async function transportOf({ page }: ChatPage): Promise<string | null> {
  return await page.getAttribute("#status", "data-transport");
}

async function screenshot(pages: ChatPage[], label: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await Promise.all(pages.map(({ page }, i) => {
    if (page.isClosed()) return;
    const path = `${SCREENSHOTS}${label}-page${i + 1}.png`;
    return page.screenshot({ path, fullPage: true }).then(
      () => console.error(`screenshot: ${path}`),
      () => {},
    );
  }));
}

const MODES = [
  { name: "default transports", slug: "default", query: "", transport: "websocket" },
  { name: "polling only", slug: "polling", query: "?transports=polling", transport: "polling" },
];

describe("browser chat in Chromium", () => {
  let chat: ChatServer | undefined;
  let browser: Browser | undefined;

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: run \`bash scripts/ensure_system_tools.sh\``);
    }
    chat = await startChat();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await chat?.stop();
  });

  for (const mode of MODES) {
    it(`two pages join a room and exchange messages (${mode.name})`, async () => {
      // separate contexts: two browsers' worth of cookies and storage
      const contexts = [await browser!.newContext(), await browser!.newContext()];
      const pages: ChatPage[] = [];
      try {
        const url = `${chat!.url}${mode.query}`;
        const alice = await openChat(contexts[0]!, url);
        const bob = await openChat(contexts[1]!, url);
        pages.push(alice, bob);
        for (const p of pages) {
          await p.page.waitForSelector(`#status[data-transport="${mode.transport}"]`);
        }
        const room = `room-${mode.slug}`;
        await join(alice, "alice", room);
        await join(bob, "bob", room);
        await alice.page.locator("#members li", { hasText: "bob" }).waitFor();
        await alice.page.waitForSelector("#messages li.notice:has-text('bob joined')");

        // typing indicator: alice types, bob sees it
        await alice.page.type("#send [name=text]", "hel");
        await bob.page.waitForSelector("#typing:has-text('alice is typing')");

        await send(alice, "hello bob");
        await received(bob, "alice", "hello bob");
        await deliveredTicks(alice, "hello bob");
        await bob.page.waitForSelector("#typing:empty");

        await send(bob, "hi alice, ünïcödé ✓");
        await received(alice, "bob", "hi alice, ünïcödé ✓");
        await deliveredTicks(bob, "hi alice, ünïcödé ✓");

        assert.equal(await transportOf(alice), mode.transport);
        assert.equal(await transportOf(bob), mode.transport);

        await alice.page.close();
        await bob.page.waitForSelector("#messages li.notice:has-text('alice left')");
        assert.deepEqual(alice.errors, []);
        assert.deepEqual(bob.errors, []);
      } catch (err) {
        await screenshot(pages, mode.slug);
        throw err;
      } finally {
        await Promise.all(contexts.map((context) => context.close()));
      }
    });
  }
});
