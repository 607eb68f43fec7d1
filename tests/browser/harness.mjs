// What every screen test starts with and ends with: `kiban serve --demo` on
// a fresh SQLite file (its URL and the demo logins read from what it
// prints) and headless Debian Chromium. The bindings are live: a test file
// imports them and reads them once `startKiban` has resolved.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

/** The kiban binary under test. */
export const bin = process.env.KIBAN_BIN;
/** The directory of the tests (screenshots go to `test-results/`). */
export const here = dirname(fileURLToPath(import.meta.url));
/** `http://127.0.0.1:PORT` of the server. */
export let baseUrl;
/** `sqlite://…` of the server's database, for the CLI. */
export let databaseUrl;
/** The database file itself, for the sqlite3 shell. */
export let databaseFile;
/** The demo logins: login → { password, role }. */
export const accounts = new Map();
/** Headless Chromium. */
export let browser;

let server;
let workdir;
let serverLog = "";
const logWaiters = [];

/** Resolves when the server's log has a line matching `pattern`. */
export function waitForLog(pattern) {
  if (pattern.test(serverLog)) return Promise.resolve();
  return new Promise((resolve) => logWaiters.push({ pattern, resolve }));
}

function startServer(name, residents, extraArgs) {
  return new Promise((resolve, reject) => {
    workdir = mkdtempSync(join(tmpdir(), `kiban-browser-${name}-`));
    databaseFile = join(workdir, "kiban.db");
    databaseUrl = `sqlite://${databaseFile}`;
    server = spawn(
      bin,
      ["--database-url", databaseUrl, "serve", "--demo",
       "--demo-residents", String(residents), "--listen", "127.0.0.1:0", ...extraArgs],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 120_000);
    server.stderr.on("data", (chunk) => {
      output += chunk.toString();
      serverLog += chunk.toString();
      for (const waiter of logWaiters.splice(0)) {
        if (waiter.pattern.test(serverLog)) waiter.resolve(); else logWaiters.push(waiter);
      }
      const url = output.match(/Kiban を起動しました: (http:\/\/[0-9.:]+)\//);
      if (url && output.includes("Ctrl+C")) {
        baseUrl = url[1];
        for (const line of output.split("\n")) {
          const m = line.match(/^\s{2}(\S+)\s+(\S+)\s+(\S+)$/);
          if (m) accounts.set(m[1], { password: m[2], role: m[3] });
        }
        clearTimeout(timer);
        resolve();
      }
    });
    server.on("exit", (code) => reject(new Error(`server exited ${code}:\n${output}`)));
  });
}

/**
 * Starts the server (a demo municipality of `residents` generated
 * residents, `extraArgs` added to `serve`) and the browser.
 */
export async function startKiban(name, residents, extraArgs = []) {
  assert.ok(bin, "KIBAN_BIN must name the kiban binary");
  mkdirSync(join(here, "test-results"), { recursive: true });
  await startServer(name, residents, extraArgs);
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Closes the browser, stops the server and removes its database. */
export async function stopKiban() {
  await browser?.close();
  server?.kill("SIGINT");
  if (workdir) rmSync(workdir, { recursive: true, force: true });
}
