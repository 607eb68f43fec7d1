// Screen test of the batch console (バッチ管理) in headless Chromium against
// `kiban serve --demo`: a clerk submits population-statistics through the
// confirmation step, watches the progress until it finishes, downloads an
// output, and sees an outbox event the seal consumer could not handle
// parked in the dead-letter list, then dismisses it.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { accounts, baseUrl, browser, databaseFile, here, startKiban, stopKiban, waitForLog } from "./harness.mjs";
import { totp } from "./totp.mjs";

let context;

before(() => startKiban("batch", 200, ["--outbox-attempts", "1"]));

after(async () => {
  await context?.close();
  await stopKiban();
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
