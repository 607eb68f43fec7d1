// Screen test of the addressee master (宛名管理): start the real `kiban
// serve --demo` on a fresh SQLite file; the tax clerk follows the
// navigation to 宛名検索, registers a non-resident (住登外者) through the
// form and its 確認画面 with the keyboard only, is warned of a possible
// duplicate (重複候補) on a second registration of the same person and goes
// on with 「別人として登録する」, searches by フリガナ typed in hiragana and
// opens the 個人状況照会 from the result. Headless Chromium (Debian's
// /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { accounts, baseUrl, browser, here, startKiban, stopKiban } from "./harness.mjs";
import { totp } from "./totp.mjs";

before(() => startKiban("addressee", 100));

after(async () => {
  await stopKiban();
});

// Logs in with the keyboard; a role that needs a second factor enrols it
// on the first login (the code computed here, as an app would).
async function loggedIn(login) {
  const account = accounts.get(login);
  assert.ok(account, `the demo logins are printed: ${[...accounts.keys()]}`);
  const context = await browser.newContext({ locale: "ja-JP" });
  const page = await context.newPage();
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
  return page;
}

const focused = (page) => page.evaluate(() => document.activeElement?.getAttribute("name"));

// Fills the registration form from its first field with the keyboard
// only: type, Tab to the next field, the arrow key in the select, Enter to
// submit.
async function typeRegistration(page, person) {
  await page.waitForSelector("#addressee-form");
  assert.equal(await focused(page), "name", "the first field has the focus");
  const steps = [
    ["name", person.name],
    ["name_kana", person.kana],
    ["birth_date", person.birth],
    ["sex", null],
    ["address.postal_code", "5300001"],
    ["address.address_line", "大阪府大阪市北区梅田1丁目2番3号"],
  ];
  for (const [name, text] of steps) {
    assert.equal(await focused(page), name);
    if (text === null) {
      await page.keyboard.press("ArrowDown");
    } else {
      await page.keyboard.type(text);
    }
    await page.keyboard.press("Tab");
  }
  assert.equal(await focused(page), "address.katagaki");
  await page.keyboard.press("Enter");
}

test("the tax clerk registers a non-resident, is warned of a duplicate, searches in hiragana and opens the overview", async () => {
  const page = await loggedIn("tax");
  const external = [];
  page.on("request", (r) => { if (!r.url().startsWith(baseUrl)) external.push(r.url()); });

  // The navigation entry leads to 宛名検索, whose first field has the focus.
  await page.click("nav.side >> text=宛名管理");
  await page.waitForURL(`${baseUrl}/app/addressee`);
  assert.equal(await focused(page), "name_kana");

  // 住登外者登録, first with an impossible date of birth: the error stands
  // next to the field, which has the focus again.
  await page.click("nav.tabs >> text=住登外者登録");
  await typeRegistration(page, { name: "宛名　試験太郎", kana: "アテナ　シケンタロウ", birth: "令和0年1月1日" });
  await page.waitForSelector("#f-birth_date-error");
  assert.match(await page.locator("#f-birth_date-error").textContent(), /^生年月日: /);
  assert.equal(await focused(page), "birth_date");
  assert.equal(await page.inputValue("#f-name"), "宛名　試験太郎");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("昭和50年2月30日");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#f-birth_date-error");
  assert.match(await page.locator("#f-birth_date-error").textContent(), /^生年月日: /);
  await page.keyboard.press("Control+A");
  await page.keyboard.type("昭和50年2月3日");
  await page.keyboard.press("Enter");

  // The 確認画面: 和暦 with 西暦; the commit button has the focus.
  await page.waitForSelector("#commit");
  assert.match(await page.locator("h1").textContent(), /住登外者登録の確認/);
  const confirmation = await page.locator("main").textContent();
  assert.ok(confirmation.includes("昭和50年（1975年）2月3日"), confirmation);
  assert.ok(confirmation.includes("男"));
  assert.equal(await page.evaluate(() => document.activeElement?.id), "commit");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/app\/addressee\/\d+\?done=registered$/);
  const first = Number(page.url().match(/addressee\/(\d+)/)[1]);
  assert.match(await page.locator("#done").textContent(), /住登外者を登録しました/);
  await page.screenshot({ path: join(here, "test-results", "addressee-registered.png"), fullPage: true });

  // The same person again, written with hiragana: 重複候補 with a link to
  // the first, and the box 「別人として登録する」 to go on.
  await page.goto(`${baseUrl}/app/addressee/new`);
  await typeRegistration(page, { name: "宛名　試験太郎", kana: "あてな　しけんたろう", birth: "1975-02-03" });
  await page.waitForSelector("#commit");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#duplicates");
  assert.match(await page.locator("#duplicates-title").textContent(), /重複候補/);
  assert.equal(await page.locator(`#candidates a[href="/app/addressee/${first}"]`).count(), 1);
  assert.equal(await page.evaluate(() => document.activeElement?.id), "confirm_new");
  await page.screenshot({ path: join(here, "test-results", "addressee-duplicate.png"), fullPage: true });
  await page.keyboard.press("Space");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement?.id), "commit");
  await page.keyboard.press("Enter");
  await page.waitForURL(/\/app\/addressee\/\d+\?done=registered$/);
  const second = Number(page.url().match(/addressee\/(\d+)/)[1]);
  assert.notEqual(first, second);

  // 宛名検索 by フリガナ typed in hiragana: both, each linking to its
  // overview.
  await page.goto(`${baseUrl}/app/addressee`);
  assert.equal(await focused(page), "name_kana");
  await page.keyboard.type("あてな");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#results");
  assert.equal(await page.locator("#result-count").textContent(), "2");
  const row = page.locator("#results tr", { has: page.locator(`a[href="/app/addressee/${first}"]`) });
  assert.match(await row.textContent(), /フリガナ/);
  await row.locator(`a[href="/app/addressee/${first}/overview"]`).focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(`${baseUrl}/app/addressee/${first}/overview`);
  assert.match(await page.locator("#overview-title").textContent(), /個人状況照会/);
  assert.ok((await page.locator("#record").textContent()).includes("宛名　試験太郎"));
  await page.screenshot({ path: join(here, "test-results", "addressee-overview.png"), fullPage: true });

  // No script and nothing loaded from elsewhere.
  assert.equal(await page.locator("script").count(), 0);
  assert.deepEqual(external, []);
});
