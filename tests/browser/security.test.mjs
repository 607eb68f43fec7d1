// Screen test of security: start the real `kiban serve --demo` on a fresh
// SQLite file; record a resident with a 個人番号 through the API (token made
// with `kiban token create`, the service way); a tax clerk sees the number
// masked; the registry clerk enrols the second factor (code computed here
// from the key the screen shows), logs in again with a code, and reveals the
// number stating a purpose; the auditor sees the reveal in the access log.
// Headless Chromium (Debian's /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { accounts, baseUrl, bin, browser, databaseUrl, here, startKiban, stopKiban } from "./harness.mjs";
import { currentStep, totp } from "./totp.mjs";

const NUMBER = "404040404043";

before(() => startKiban("security", 200));

after(async () => {
  await stopKiban();
});

async function newPage() {
  const context = await browser.newContext({ locale: "ja-JP" });
  return context.newPage();
}

async function passwordLogin(page, login, otp = "") {
  await page.goto(`${baseUrl}/login?m=990019`);
  await page.fill("#login", login);
  await page.fill("#password", accounts.get(login).password);
  if (otp) await page.fill("#otp", otp);
  await page.click("button[type=submit]");
}

test("individual numbers: masked for a tax clerk, revealed with a purpose, in the access log", async () => {
  // A resident with a 個人番号, recorded through the API with a service token.
  const token = execFileSync(
    bin,
    ["--database-url", databaseUrl, "token", "create", "--municipality", "990019", "--login", "registry"],
    { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  ).trim();
  const recorded = await fetch(`${baseUrl}/api/v1/municipalities/990019/movements`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({
      kind: "move_in", event_date: "2024-04-01", notified_on: "2024-04-05",
      address: { postal_code: "1000001", address_line: "デモ市中央一丁目2番3号" },
      previous_address: "東京都千代田区千代田1番1号",
      persons: [{ name: "番号 太郎", name_kana: "バンゴウ タロウ", birth_date: "1980-04-01",
                  sex: "male", relationship: "head", individual_number: NUMBER }],
    }),
  });
  assert.equal(recorded.status, 201);
  const personId = (await recorded.json()).persons[0].person_id;
  const numberPage = `${baseUrl}/app/registry/persons/${personId}/individual-number`;

  // A tax clerk (no second factor needed) sees the number masked only.
  const tax = await newPage();
  await passwordLogin(tax, "tax");
  await tax.waitForURL(`${baseUrl}/app`);
  await tax.goto(numberPage);
  assert.equal((await tax.locator("#individual-number").textContent()).trim(), "********4043");
  assert.ok(await tax.locator("#reveal-not-permitted").isVisible());
  assert.equal(await tax.locator("#reveal-form").count(), 0);
  assert.ok(!(await tax.content()).includes(NUMBER));

  // The registry clerk's first login enrols the second factor.
  const clerk = await newPage();
  await passwordLogin(clerk, "registry");
  await clerk.waitForURL(`${baseUrl}/app/staff/enrol`);
  assert.ok(await clerk.locator("#totp-qr").isVisible());
  const secret = (await clerk.locator("#totp-secret").textContent()).trim();
  const enrolStep = currentStep();
  await clerk.fill("#code", totp(secret, enrolStep));
  await clerk.click("button[type=submit]");
  await clerk.waitForURL(`${baseUrl}/app`);
  await clerk.click("text=ログアウト");
  await clerk.waitForURL(`${baseUrl}/login`);

  // Logging in again needs a code; the enrolment's code is not accepted twice.
  await passwordLogin(clerk, "registry", totp(secret, enrolStep));
  await clerk.waitForSelector("#login-error");
  assert.match(await clerk.locator("#login-error").textContent(), /確認コード/);
  await passwordLogin(clerk, "registry", totp(secret, enrolStep + 1));
  await clerk.waitForURL(`${baseUrl}/app`);

  // The clerk reveals the number, stating a purpose.
  await clerk.goto(numberPage);
  assert.equal((await clerk.locator("#individual-number").textContent()).trim(), "********4043");
  await clerk.fill("#purpose", "転入届の本人確認のため");
  await clerk.click("#reveal-form button[type=submit]");
  await clerk.waitForSelector("#individual-number.revealed");
  assert.equal((await clerk.locator("#individual-number").textContent()).trim(), NUMBER);

  // The auditor sees who looked at this person, the reveal with its purpose.
  const auditor = await newPage();
  await passwordLogin(auditor, "auditor");
  await auditor.waitForURL(`${baseUrl}/app`);
  await auditor.click("text=利用履歴");
  await auditor.waitForURL(`${baseUrl}/app/audit/access-log`);
  await auditor.fill("#person_id", String(personId));
  await auditor.click("form.search button[type=submit]");
  await auditor.waitForSelector("#access-log");
  const rows = await auditor.locator("#access-log tbody tr").allTextContents();
  assert.ok(rows.some((r) => r.includes("個人番号表示") && r.includes("registry")
    && r.includes("転入届の本人確認のため")), rows.join("\n"));
  assert.ok(rows.some((r) => r.includes("参照") && r.includes("tax")), rows.join("\n"));
  // Times in 和暦 with the 西暦 year.
  assert.ok(rows.every((r) => /令和\d+年（\d{4}年）\d+月\d+日 \d\d:\d\d:\d\d/.test(r)), rows.join("\n"));
  assert.ok(!(await auditor.content()).includes(NUMBER));
  mkdirSync(join(here, "test-results"), { recursive: true });
  await auditor.screenshot({ path: join(here, "test-results", "access-log.png"), fullPage: true });
});
