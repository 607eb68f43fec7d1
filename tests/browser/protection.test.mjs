// Screen test of the person page's links and the 支援措置 (support
// measures) screen: start the real `kiban serve --demo` on a fresh SQLite
// file; record a resident through the API (token made with `kiban token
// create`); the registry clerk's person page links to the 個人番号 page and
// to certificate issuance but not to 支援措置; the supervisor follows the
// 支援措置 link, records a measure through its 確認画面 (dates typed in
// 和暦 and 西暦), extends it and ends it early; each change is listed.
// Headless Chromium (Debian's /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { accounts, baseUrl, bin, browser, databaseUrl, startKiban, stopKiban } from "./harness.mjs";
import { totp } from "./totp.mjs";

before(() => startKiban("protection", 100));

after(async () => {
  await stopKiban();
});

// Today in Japan, as the server counts days: 西暦 (YYYY-MM-DD) and 和暦
// (令和8年12月6日).
function todayInJapan() {
  const now = new Date();
  const western = now.toLocaleDateString("sv-SE", { timeZone: "Asia/Tokyo" });
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("ja-JP-u-ca-japanese", {
      timeZone: "Asia/Tokyo", era: "long", year: "numeric", month: "numeric", day: "numeric",
    }).formatToParts(now).map((p) => [p.type, p.value]),
  );
  return { western, wareki: `${parts.era}${parts.year}年${parts.month}月${parts.day}日` };
}

// Logs in on a page of its own; a role that may see 個人番号 enrols its
// second factor on the first login (the code computed here).
async function loggedIn(login) {
  const context = await browser.newContext({ locale: "ja-JP" });
  const page = await context.newPage();
  await page.goto(`${baseUrl}/login?m=990019`);
  await page.fill("#login", login);
  await page.fill("#password", accounts.get(login).password);
  await page.click("button[type=submit]");
  await page.waitForURL((url) => url.pathname === "/app" || url.pathname === "/app/staff/enrol");
  if (new URL(page.url()).pathname === "/app/staff/enrol") {
    const secret = (await page.locator("#totp-secret").textContent()).trim();
    await page.fill("#code", totp(secret));
    await page.click("button[type=submit]");
    await page.waitForURL(`${baseUrl}/app`);
  }
  return page;
}

// A resident moved in through the API: [person id, household id].
async function resident() {
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
      address: { postal_code: "1000001", address_line: "デモ市中央三丁目4番5号" },
      previous_address: "東京都千代田区千代田1番1号",
      persons: [{ name: "保護 花子", name_kana: "ホゴ ハナコ", birth_date: "1985-06-01",
                  sex: "female", relationship: "head" }],
    }),
  });
  assert.equal(recorded.status, 201);
  const body = await recorded.json();
  return [body.persons[0].person_id, body.household_id];
}

test("the person page links to 個人番号 and certificates; a supervisor records, extends and ends a 支援措置", async () => {
  const [personId, householdId] = await resident();
  const personPage = `${baseUrl}/app/registry/persons/${personId}`;

  // The registry clerk: 個人番号 and 証明書交付, no 支援措置.
  const clerk = await loggedIn("registry");
  await clerk.goto(personPage);
  assert.ok(await clerk.locator("#link-individual-number").isVisible());
  assert.ok(await clerk.locator("#link-certificate").isVisible());
  assert.equal(await clerk.locator("#link-support-measures").count(), 0);
  await clerk.click("#link-individual-number");
  await clerk.waitForURL(`${baseUrl}/app/registry/persons/${personId}/individual-number`);
  assert.equal((await clerk.locator("#person-id").textContent()).trim(), String(personId));
  await clerk.goto(personPage);
  await clerk.click("#link-certificate");
  await clerk.waitForURL(`${baseUrl}/app/certificates/new?household_id=${householdId}`);
  // The screen itself refuses the clerk.
  const refused = await clerk.goto(`${baseUrl}/app/protection/persons/${personId}/support-measures`);
  assert.equal(refused.status(), 403);

  // The supervisor follows the 支援措置 link.
  const supervisor = await loggedIn("supervisor");
  await supervisor.goto(personPage);
  await supervisor.click("#link-support-measures");
  await supervisor.waitForURL(`${baseUrl}/app/protection/persons/${personId}/support-measures`);
  assert.ok(await supervisor.locator("#no-measures").isVisible());

  // A measure longer than one year is refused, naming the field.
  const { western, wareki } = todayInJapan();
  const year = Number(western.slice(0, 4));
  await supervisor.selectOption("#reason", "domestic_violence");
  await supervisor.fill("#starts_on", wareki);
  await supervisor.fill("#ends_on", `${year + 2}-01-01`);
  await supervisor.click("#record-confirm");
  await supervisor.waitForSelector("#page-error");
  assert.match(await supervisor.locator("#page-error").textContent(), /^終了日: 支援措置の期間は1年以内です/);
  assert.equal(await supervisor.locator("#reason").inputValue(), "domestic_violence");

  // One year from today (和暦 typed), through the 確認画面.
  await supervisor.fill("#ends_on", "");
  await supervisor.click("#record-confirm");
  await supervisor.waitForSelector("#commit");
  assert.equal((await supervisor.locator("#confirm-title").textContent()).trim(), "支援措置の記録の確認");
  const confirm = await supervisor.locator("#confirm").textContent();
  assert.ok(confirm.includes("ＤＶ"), confirm);
  assert.ok(confirm.includes(`（${year}年）`), `the 和暦 date with its 西暦 year: ${confirm}`);
  await supervisor.click("#commit");
  await supervisor.waitForURL(/support-measures\?done=recorded&measure=\d+$/);
  assert.match(await supervisor.locator("#notice").textContent(), /を記録しました/);
  const first = await supervisor.locator("#measures tbody tr").first().getAttribute("data-measure-id");
  assert.equal((await supervisor.locator(`tr[data-measure-id="${first}"] .state`).textContent()).trim(), "措置中");

  // Extended: a new measure from the day after the last day.
  await supervisor.click(`#extend-${first}`);
  await supervisor.waitForSelector("#commit");
  assert.equal((await supervisor.locator("#confirm-title").textContent()).trim(), "支援措置の延長の確認");
  assert.ok((await supervisor.locator("#confirm").textContent()).includes(`（${year + 1}年）`));
  await supervisor.click("#commit");
  await supervisor.waitForURL(/support-measures\?done=extended&measure=\d+$/);
  assert.equal(await supervisor.locator("#measures tbody tr").count(), 2);
  assert.equal(await supervisor.locator(`#extend-${first}`).count(), 0, "extended once only");

  // The first one ended early today (西暦 typed).
  await supervisor.fill(`#ended-on-${first}`, western);
  await supervisor.click(`#end-${first}`);
  await supervisor.waitForSelector("#commit");
  assert.equal((await supervisor.locator("#confirm-title").textContent()).trim(), "支援措置の早期終了の確認");
  await supervisor.click("#commit");
  await supervisor.waitForURL(/support-measures\?done=ended&measure=\d+$/);
  assert.equal((await supervisor.locator(`tr[data-measure-id="${first}"] .state`).textContent()).trim(), "早期終了");

  // The registry clerk now sees the address withheld.
  await clerk.goto(personPage);
  assert.match(await clerk.locator("#person-address").textContent(), /支援措置/);
});
