// Screen test of the resident tax (個人住民税) in headless Chromium against
// `kiban serve --demo`: a resident moved in and an income file imported
// through the API, the annual assessment run by the worker; the tax clerk
// follows the navigation to 課税台帳照会, looks the resident up with the
// keyboard and reads the assessment with its working, goes to the 突合
// queue (the link of Alt+M) and assigns the unmatched row, goes to the
// settings (Alt+T), sees a refused value next to its field and corrects it. A
// registry clerk gets the refusal page. Headless Chromium (Debian's
// /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { accounts, baseUrl, bin, browser, databaseUrl, here, startKiban, stopKiban } from "./harness.mjs";
import { totp } from "./totp.mjs";

const M = "990019";

before(() => startKiban("resident-tax", 50));

after(async () => {
  await stopKiban();
});

/** A service token of a demo login (`kiban token create`). */
function token(login) {
  return execFileSync(
    bin,
    ["--database-url", databaseUrl, "token", "create", "--municipality", M, "--login", login],
    { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  ).trim();
}

async function api(path, tokenText, init = {}) {
  const response = await fetch(`${baseUrl}/api/v1/municipalities/${M}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${tokenText}`, ...(init.headers ?? {}) },
  });
  const text = await response.text();
  let body = null;
  try { body = JSON.parse(text); } catch { body = text; }
  return [response.status, body];
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it answers a value (at most a minute). */
async function eventually(what, check) {
  for (let i = 0; i < 600; i++) {
    const value = await check();
    if (value) return value;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A resident of 1 January 2026 with a salary, and a declaration of
 * somebody unknown, imported; the annual assessment run to its end.
 * Answers the resident's 宛名番号. */
async function assessedResident() {
  const registry = token("registry");
  const tax = token("tax");
  const [status, moved] = await api("/movements", registry, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      kind: "move_in", event_date: "2024-04-01", notified_on: "2024-04-05",
      address: { postal_code: "1000001", address_line: "デモ市中央九丁目9番9号" },
      previous_address: "東京都千代田区千代田1番1号",
      persons: [{ name: "課税 花子", name_kana: "カゼイ ハナコ", birth_date: "1981-05-05",
                  sex: "female", relationship: "head" }],
    }),
  });
  assert.equal(status, 201, JSON.stringify(moved));
  const id = moved.persons[0].person_id;
  // The worker's consumer makes the addressee of the new resident.
  await eventually("the addressee", async () => {
    const [found, body] = await api(`/addressees?name_kana=${encodeURIComponent("カゼイ")}`, tax);
    return found === 200 && body.results?.some((r) => r.addressee_id === id);
  });
  const csv = "source,payer_number,payer_name,collection,name,name_kana,birth_date,address_on_jan1,salary_revenue\n"
    + "salary_report,,株式会社デモ,ordinary,課税　花子,カゼイ　ハナコ,1981-05-05,デモ市中央九丁目9番9号,5000000\n"
    + "declaration,,,ordinary,不明　太郎,フメイ　タロウ,1960-01-02,どこか町1-2,300000\n";
  const [imported, report] = await api("/resident-tax/2026/income-files", tax, {
    method: "POST", headers: { "content-type": "text/csv" }, body: csv,
  });
  assert.equal(imported, 201, JSON.stringify(report));
  assert.equal(report.matched, 1, JSON.stringify(report));
  // The supervisor may run the tax's jobs (a tax clerk has no batch
  // permission).
  const supervisor = token("supervisor");
  const [submitted, job] = await api("/jobs", supervisor, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ job: "resident-tax-assessment", params: { fiscal_year: "2026" } }),
  });
  assert.equal(submitted, 202, JSON.stringify(job));
  await eventually("the assessment", async () => {
    const [, run] = await api(`/jobs/${job.job_id}`, supervisor);
    assert.notEqual(run.status, "failed", JSON.stringify(run));
    return run.status === "succeeded";
  });
  const [read, assessment] = await api(`/resident-tax/2026/assessments/${id}`, tax);
  assert.equal(read, 200, JSON.stringify(assessment));
  return [id, assessment];
}

async function loggedIn(login) {
  const account = accounts.get(login);
  assert.ok(account, `the demo logins are printed: ${[...accounts.keys()]}`);
  const context = await browser.newContext({ locale: "ja-JP" });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/login?m=${M}`);
  await page.fill("#login", login);
  await page.fill("#password", account.password);
  await page.press("#password", "Enter");
  await page.waitForURL((url) => url.pathname === "/app" || url.pathname === "/app/staff/enrol");
  if (new URL(page.url()).pathname === "/app/staff/enrol") {
    const secret = (await page.locator("#totp-secret").textContent()).trim();
    await page.fill("#code", totp(secret));
    await page.press("#code", "Enter");
    await page.waitForURL(`${baseUrl}/app`);
  }
  return page;
}

const focused = (page) => page.evaluate(() => document.activeElement?.getAttribute("name"));

test("a tax clerk looks an assessment up, assigns an income record and changes the settings", async () => {
  const [id, wire] = await assessedResident();
  const page = await loggedIn("tax");
  try {
    // The navigation leads to 課税台帳照会; the number is typed, the
    // current fiscal year already there.
    await page.click("nav.side >> text=個人住民税");
    await page.waitForURL(`${baseUrl}/app/resident-tax`);
    assert.equal(await focused(page), "addressee_id", "the number has the focus");
    await page.keyboard.type("12x");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#addressee_id-error");
    await page.fill("#addressee_id", String(id));
    await page.fill("#fiscal_year", "2026");
    await page.press("#fiscal_year", "Enter");
    await page.waitForURL(`${baseUrl}/app/resident-tax/2026/assessments/${id}`);
    const total = new Intl.NumberFormat("ja-JP").format(wire.total) + "円";
    assert.equal((await page.locator("#total").textContent()).trim(), total);
    assert.equal(await page.locator("#working li").count(), wire.calculation.working.length);
    const first = wire.calculation.working[0];
    assert.match(await page.locator("#working li").first().textContent(), new RegExp(first.step));
    assert.equal(await page.locator("#installments tbody tr").count(), wire.installments.length);
    assert.match(await page.locator("#versions").textContent(), /第1版（表示中）/);

    // Alt+M: the 突合 queue; the unknown declaration is assigned to the
    // resident by the keyboard.
    // (Headless Chromium does not act on accesskeys pressed through
    // Playwright: the link that carries it is followed instead.)
    await page.click("[accesskey=m]");
    await page.waitForURL(`${baseUrl}/app/resident-tax/2026/income-matching`);
    const row = page.locator("#matching tbody tr", { hasText: "フメイ　タロウ" });
    await row.locator("input[name=addressee_id]").focus();
    await page.keyboard.type(String(id));
    await page.keyboard.press("Enter");
    await page.waitForSelector("#notice");
    assert.match(await page.locator("#notice").textContent(), new RegExp(`宛名番号 ${id}`));
    assert.equal(await page.locator("#matching tbody tr", { hasText: "フメイ　タロウ" }).count(), 0);

    // Alt+T: the settings; a refused unit is shown next to its field,
    // which has the focus; corrected, it is recorded.
    await page.click("[accesskey=t]");
    await page.waitForURL(`${baseUrl}/app/resident-tax/2026/settings`);
    await page.fill("[id='installment_unit']", "7");
    await page.press("[id='installment_unit']", "Enter");
    await page.waitForSelector("[id='installment_unit-error']");
    assert.equal(await focused(page), "installment_unit");
    await page.keyboard.press("Control+A");
    await page.keyboard.type("100");
    await page.keyboard.press("Enter");
    await page.waitForSelector("#notice");
    assert.equal(await page.inputValue("[id='installment_unit']"), "100");
  } catch (error) {
    await page.screenshot({ path: join(here, "test-results", "resident-tax.png"), fullPage: true });
    throw error;
  } finally {
    await page.context().close();
  }

  // A registry clerk has no tax permission.
  const registry = await loggedIn("registry");
  try {
    assert.equal(await registry.locator("nav.side >> text=個人住民税").count(), 0);
    const response = await registry.goto(`${baseUrl}/app/resident-tax/2026/assessments/${id}`);
    assert.equal(response.status(), 403);
  } finally {
    await registry.context().close();
  }
});
