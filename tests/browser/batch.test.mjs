// Screen test of the batch console (バッチ管理) in headless Chromium against
// `kiban serve --demo`: a clerk submits population-statistics through the
// confirmation step, watches the progress until it finishes, downloads an
// output, and sees an outbox event the seal consumer could not handle
// parked in the dead-letter list, then dismisses it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { totp } from "./totp.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const bin = process.env.KIBAN_BIN;
let server;
let workdir;
let databaseFile;
let baseUrl;
const accounts = new Map();
let browser;
let context;
let serverLog = "";
const logWaiters = [];

/** Resolves when the server's log has a line matching `pattern`. */
function waitForLog(pattern) {
  if (pattern.test(serverLog)) return Promise.resolve();
  return new Promise((resolve) => logWaiters.push({ pattern, resolve }));
}

function startServer() {
  return new Promise((resolve, reject) => {
    workdir = mkdtempSync(join(tmpdir(), "kiban-browser-batch-"));
    databaseFile = join(workdir, "kiban.db");
    server = spawn(
      bin,
      ["--database-url", `sqlite://${databaseFile}`, "serve", "--demo",
       "--demo-residents", "200", "--listen", "127.0.0.1:0",
       // A failing outbox event is parked after one attempt.
       "--outbox-attempts", "1"],
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

before(async () => {
  assert.ok(bin, "KIBAN_BIN must name the kiban binary");
  await startServer();
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await context?.close();
  await browser?.close();
  server?.kill("SIGINT");
  if (workdir) rmSync(workdir, { recursive: true, force: true });
});

/** The registry clerk's page, logged in (enrolling the second factor). */
async function clerkPage() {
  if (context) {
    return context.newPage();
  }
  context = await browser.newContext({ locale: "ja-JP", acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/login?m=990019`);
  await page.fill("#login", "registry");
  await page.fill("#password", accounts.get("registry").password);
  await page.press("#password", "Enter");
  await page.waitForURL(`${baseUrl}/app/staff/enrol`);
  const secret = (await page.locator("#totp-secret").textContent()).trim();
  await page.fill("#code", totp(secret));
  await page.press("#code", "Enter");
  await page.waitForURL(`${baseUrl}/app`);
  return page;
}

test("a clerk submits population-statistics, watches it finish and downloads an output", async () => {
  const page = await clerkPage();
  const external = [];
  page.on("request", (r) => { if (!r.url().startsWith(baseUrl)) external.push(r.url()); });
  await page.click("text=バッチ管理");
  await page.waitForURL(`${baseUrl}/app/batch`);

  // An invalid date is refused on the screen, naming the parameter.
  await page.fill("#param-population-statistics-as_of", "2026-02-30");
  await page.click("#submit-population-statistics button[type=submit]");
  await page.waitForSelector("#batch-error");
  assert.match(await page.locator("#batch-error").textContent(), /as_of/);
  assert.equal(await page.locator("#param-population-statistics-as_of").getAttribute("aria-invalid"), "true");

  // The confirmation step shows the parameters; then the run is queued.
  await page.fill("#param-population-statistics-as_of", "2026-12-01");
  await page.press("#param-population-statistics-as_of", "Enter");
  await page.waitForSelector("#confirm-params");
  assert.match(await page.locator("#confirm-params").textContent(), /as_of\s*2026-12-01/);
  await page.click("#confirm-form button[type=submit]");
  await page.waitForURL(/\/app\/batch\/jobs\/\d+$/);

  // The progress bar follows the run until it has succeeded (the page
  // reloads itself then, with the outputs).
  await page.waitForSelector('tr[data-status="succeeded"]', { timeout: 120_000 });
  await page.waitForSelector("#outputs");
  const bar = page.locator("#run-list progress");
  assert.equal(await bar.getAttribute("value"), await bar.getAttribute("max"));

  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click("text=population.csv"),
  ]);
  const csv = readFileSync(await download.path(), "utf8");
  assert.equal(csv.split("\n")[0].trim(), "postal_code,sex,age_band,persons");
  assert.ok(csv.split("\n").length > 2, csv);

  // The run is listed on the console.
  await page.goto(`${baseUrl}/app/batch`);
  assert.match(await page.locator("#run-list").textContent(), /population-statistics/);
  mkdirSync(join(here, "test-results"), { recursive: true });
  await page.screenshot({ path: join(here, "test-results", "batch.png"), fullPage: true });
  assert.deepEqual(external, [], "nothing is loaded from outside the server");
});

test("an event the seal consumer cannot handle is parked and shown, then dismissed", async () => {
  // A move-out event without its date: the seal consumer fails on it.
  execFileSync("sqlite3", [
    databaseFile,
    "INSERT INTO outbox (municipality_code, event_id, event_kind, movement_id, payload, created_at) " +
      "SELECT '990019', COALESCE(MAX(event_id), 0) + 1, 'resident_moved_out', NULL, '{}', " +
      "'2026-12-01T00:00:00Z' FROM outbox WHERE municipality_code = '990019';",
  ]);
  // The worker says when it parks it.
  await waitForLog(/parked events as dead letters/);
  const page = await clerkPage();
  await page.goto(`${baseUrl}/app/batch`);
  const parked = 'tr[data-consumer="seal_registration"][data-status="parked"]';
  assert.equal(await page.locator(parked).count(), 1);
  assert.match(await page.locator(parked).textContent(), /event_date/);
  // The consumer went on past it.
  assert.match(await page.locator('#consumer-list tr[data-consumer="seal_registration"]').textContent(), /印鑑登録/);

  await page.locator(parked).locator("text=対応不要").click();
  await page.waitForSelector("#batch-notice");
  assert.match(await page.locator("#batch-notice").textContent(), /対応不要/);
  assert.equal(await page.locator(parked).count(), 0);
  assert.equal(
    await page.locator('tr[data-consumer="seal_registration"][data-status="dismissed"]').count(),
    1,
  );
});
