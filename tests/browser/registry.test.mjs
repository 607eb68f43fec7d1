// Screen test of the resident registry (住民記録): start the real
// `kiban serve --demo` on a fresh SQLite file and, in headless Chromium,
// record through the clerk screens a 転入 of a family, a 出生 into that
// household, a 転居 of the household and a 転出 of one person, each through
// its confirmation page; then read the person views, the household members
// and the history, and search for the family.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { accounts, baseUrl, browser, here, startKiban, stopKiban } from "./harness.mjs";
import { totp } from "./totp.mjs";

before(() => startKiban("registry", 300));

after(async () => {
  await stopKiban();
});

// Dates in the past relative to the server's today (the test runs any day
// after 2026-01-01: the family moves in on 2026-01-05).
const MOVE_IN = "令和8年1月5日";
const BIRTH = "2026-01-10";
const ADDRESS_CHANGE = "R8.1.15";
const MOVE_OUT = "令和8年1月20日";

const field = (name) => `[name="${name}"]`;
mkdirSync(join(here, "test-results"), { recursive: true });

// Logs in once per account: a role that may see 個人番号 enrols its second
// factor on the first login (the code is computed here, as an app would).
async function login(page, login) {
  const account = accounts.get(login);
  assert.ok(account, `the demo logins are printed: ${[...accounts.keys()]}`);
  await page.goto(`${baseUrl}/login?m=990019`);
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
}

// The registry clerk's browser, shared by the tests (one login).
let clerkContext;
async function clerkPage() {
  if (!clerkContext) {
    clerkContext = await browser.newContext({ locale: "ja-JP" });
    await login(await clerkContext.newPage(), "registry");
  }
  return clerkContext.newPage();
}

// Checks the confirmation page and records the movement; returns the
// person id of the page shown afterwards.
async function confirmAndCommit(page, expectedTexts) {
  await page.waitForSelector("#commit");
  assert.match(await page.locator("h1").textContent(), /の確認$/);
  assert.match(await page.locator("#confirm-note").textContent(), /まだ登録されていません/);
  const body = await page.locator("main").textContent();
  for (const text of expectedTexts) assert.ok(body.includes(text), `the confirmation shows ${text}`);
  // The commit button has the focus: Enter records.
  assert.equal(await page.evaluate(() => document.activeElement?.id), "commit");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/app\/registry\/persons\/\d+\?recorded=\d+$/);
  assert.match(await page.locator("#recorded").textContent(), /を登録しました/);
  return Number(page.url().match(/persons\/(\d+)/)[1]);
}

test("a family moves in, a child is born, the household moves, one person moves out", async () => {
  const page = await clerkPage();
  const external = [];
  page.on("request", (r) => { if (!r.url().startsWith(baseUrl)) external.push(r.url()); });
  await page.goto(`${baseUrl}/app`);

  // The navigation entry is live.
  await page.click("nav.side >> text=住民記録");
  await page.waitForURL(`${baseUrl}/app/registry`);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "name_kana");

  // 転入 of a family of three, with two field errors first.
  await page.click("nav.tabs >> text=転入届");
  await page.waitForSelector("#movement-form");
  assert.equal(await page.evaluate(() => document.activeElement?.name), "event_date");
  await page.fill(field("event_date"), "令和0年1月5日");
  await page.fill(field("previous_address"), "東京都千代田区霞が関一丁目1番1号");
  await page.fill(field("address.postal_code"), "9990001");
  await page.fill(field("address.address_line"), "デモ市中央一丁目2番3号");
  await page.fill(field("address.katagaki"), "デモハイツ101");
  const persons = [
    ["試験　太郎", "シケン　タロウ", "昭和60年4月1日", "male", "head"],
    ["試験　花子", "しけん　はなこ", "1987-02-30", "female", "spouse"],
    ["試験　一郎", "ｼｹﾝ ｲﾁﾛｳ", "平成30年6月15日", "male", "child"],
  ];
  for (const [i, [name, kana, birth, sex, relationship]] of persons.entries()) {
    await page.fill(field(`persons[${i}].name`), name);
    await page.fill(field(`persons[${i}].name_kana`), kana);
    await page.fill(field(`persons[${i}].birth_date`), birth);
    await page.selectOption(field(`persons[${i}].sex`), sex);
    await page.selectOption(field(`persons[${i}].relationship`), relationship);
  }
  // Enter in a field submits the form to its confirmation step.
  await page.press(field("persons[2].birth_date"), "Enter");
  await page.waitForSelector("#form-errors");
  const eventError = await page.locator("#f-event_date-error").textContent();
  assert.match(eventError, /^転入日: /);
  assert.match(eventError, /0/);
  const birthError = await page.locator("#f-persons_1__birth_date-error").textContent();
  assert.match(birthError, /^生年月日: .*存在しない日付/);
  // What was typed is kept, and the first field in error has the focus.
  assert.equal(await page.inputValue(field("persons[1].birth_date")), "1987-02-30");
  assert.equal(await page.inputValue(field("persons[2].name_kana")), "ｼｹﾝ ｲﾁﾛｳ");
  assert.equal(await page.evaluate(() => document.activeElement?.name), "event_date");
  await page.screenshot({ path: join(here, "test-results", "registry-move-in-errors.png"), fullPage: true });

  await page.fill(field("event_date"), MOVE_IN);
  await page.fill(field("persons[1].birth_date"), "1987-02-28");
  await page.press(field("persons[1].birth_date"), "Enter");
  // The confirmation page shows the dates in 和暦 with 西暦; going back
  // keeps every value.
  await page.waitForSelector("#back-to-edit");
  await page.click("#back-to-edit");
  await page.waitForSelector("#movement-form");
  assert.equal(await page.inputValue(field("persons[0].name")), "試験　太郎");
  await page.click("#to-confirm");
  const headId = await confirmAndCommit(page, [
    "令和8年（2026年）1月5日", "試験　花子", "昭和62年（1987年）2月28日", "デモハイツ101",
  ]);
  assert.equal(await page.locator("#person-name").textContent(), "試験　太郎 シケン　タロウ");
  assert.match(await page.locator("#person-relationship").textContent(), /世帯主/);
  assert.equal(await page.locator("#members tbody tr").count(), 3);
  const householdId = (await page.locator("#person-household").textContent()).trim();

  // 出生 into the household, from the person view.
  await page.click("nav.actions >> text=出生");
  await page.waitForSelector("#movement-form");
  assert.match(await page.locator("#context").textContent(), new RegExp(`世帯番号 ${householdId}`));
  await page.fill(field("event_date"), BIRTH);
  await page.fill(field("person.name"), "試験　二郎");
  await page.fill(field("person.name_kana"), "シケン　ジロウ");
  await page.selectOption(field("person.sex"), "male");
  await page.press(field("person.name_kana"), "Enter");
  const childId = await confirmAndCommit(page, ["試験　二郎", "令和8年（2026年）1月10日"]);
  assert.notEqual(childId, headId);
  assert.match(await page.locator("#person-birth").textContent(), /令和8年（2026年）1月10日/);
  assert.equal(await page.locator("#members tbody tr").count(), 4);

  // 転居 of the whole household.
  await page.click("nav.actions >> text=転居");
  await page.waitForSelector("#movement-form");
  await page.fill(field("event_date"), ADDRESS_CHANGE);
  await page.fill(field("address.postal_code"), "999-0002");
  await page.fill(field("address.address_line"), "デモ市桜台三丁目4番5号");
  await page.press(field("address.address_line"), "Enter");
  await confirmAndCommit(page, ["デモ市桜台三丁目4番5号", "令和8年（2026年）1月15日"]);
  assert.match(await page.locator("#person-address").textContent(), /〒999-0002 デモ市桜台三丁目4番5号/);

  // 転出 of the spouse.
  await page.goto(`${baseUrl}/app/registry/persons/${headId}`);
  await page.click("nav.actions >> text=転出");
  await page.waitForSelector("#movement-form");
  await page.check(`${field("person_ids")}[value="${headId + 1}"]`);
  await page.fill(field("event_date"), MOVE_OUT);
  await page.fill(field("destination_address"), "大阪府大阪市北区梅田一丁目1番1号");
  await page.press(field("destination_address"), "Enter");
  const spouseId = await confirmAndCommit(page, ["試験　花子", "大阪府大阪市北区梅田一丁目1番1号"]);
  assert.equal(spouseId, headId + 1);
  assert.match(await page.locator("#person-status").textContent(), /転出（令和8年1月20日消除）/);

  // The spouse's history: 転入, 転居, 転出 (newest first), each with its
  // dates and the time it was recorded.
  const kinds = await page.locator("#history li .kind").allTextContents();
  assert.deepEqual(kinds, ["転出", "転居", "転入"]);
  const history = await page.locator("#history").textContent();
  assert.ok(history.includes("令和8年（2026年）1月20日"));
  assert.match(history, /記録日時\s*令和\d+年\d+月\d+日 \d\d:\d\d（registry）/);

  // The head's view: three members remain, the history has 転入 and 転居.
  await page.goto(`${baseUrl}/app/registry/persons/${headId}`);
  assert.equal(await page.locator("#members tbody tr").count(), 3);
  assert.deepEqual(await page.locator("#history li .kind").allTextContents(), ["転居", "転入"]);

  // Search by kana (hiragana typed): residents by default, removed on request.
  await page.goto(`${baseUrl}/app/registry`);
  await page.fill("#name_kana", "しけん");
  await page.press("#name_kana", "Enter");
  await page.waitForSelector("#result-count");
  assert.equal(await page.locator("#result-count").textContent(), "3");
  await page.check("#include_removed");
  await page.click("#search-form button[type=submit]");
  await page.waitForURL(/include_removed=true/);
  assert.equal(await page.locator("#result-count").textContent(), "4");
  // By birth date typed in 和暦, and by address without the city's name.
  await page.goto(`${baseUrl}/app/registry?birth_date=${encodeURIComponent("S60.4.1")}&name_kana=${encodeURIComponent("シケン")}`);
  assert.equal(await page.locator("#result-count").textContent(), "1");
  await page.goto(`${baseUrl}/app/registry?address=${encodeURIComponent("桜台三丁目4番5号")}`);
  assert.ok(Number(await page.locator("#result-count").textContent()) >= 3);

  mkdirSync(join(here, "test-results"), { recursive: true });
  await page.screenshot({ path: join(here, "test-results", "registry-search.png"), fullPage: true });
  assert.deepEqual(external, [], "nothing is loaded from outside the server");
});

test("a domain rejection shows on the form, and other roles cannot record", async () => {
  const page = await clerkPage();
  // A 転居 dated before the household existed: refused with a message.
  await page.goto(`${baseUrl}/app/registry?name_kana=${encodeURIComponent("シケン　タロウ")}`);
  await page.click("#results a");
  await page.click("nav.actions >> text=転居");
  await page.fill(field("event_date"), "平成元年1月8日");
  await page.fill(field("address.postal_code"), "9990003");
  await page.fill(field("address.address_line"), "デモ市旭町1番1号");
  await page.press(field("address.address_line"), "Enter");
  await page.waitForSelector("#commit");
  await page.click("#commit");
  await page.waitForSelector("#form-errors");
  assert.match(await page.locator("#form-errors").textContent(), /存在しません|住民ではありません/);
  assert.equal(await page.inputValue(field("address.address_line")), "デモ市旭町1番1号");

  // A tax clerk may search but not record; an auditor may not search.
  const tax = await browser.newPage({ locale: "ja-JP" });
  await login(tax, "tax");
  const form = await tax.goto(`${baseUrl}/app/registry/movements/move_in`);
  assert.equal(form.status(), 403);
  assert.match(await tax.locator("#error-title").textContent(), /権限がありません/);
  const search = await tax.goto(`${baseUrl}/app/registry?name_kana=${encodeURIComponent("シケン")}`);
  assert.equal(search.status(), 200);
  const auditor = await browser.newPage({ locale: "ja-JP" });
  await login(auditor, "auditor");
  const refused = await auditor.goto(`${baseUrl}/app/registry`);
  assert.equal(refused.status(), 403);
});
