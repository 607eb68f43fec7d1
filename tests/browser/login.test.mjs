// Screen test: start the real `kiban serve --demo` on a fresh SQLite file,
// log in with a demo account printed on the terminal, and see the staff
// shell, in headless Chromium (Debian's /usr/bin/chromium).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { accounts, baseUrl, browser, here, startKiban, stopKiban } from "./harness.mjs";
import { totp } from "./totp.mjs";

before(() => startKiban("login", 500));

after(async () => {
  await stopKiban();
});

test("a clerk logs in to the demo municipality and sees the staff shell", async () => {
  const account = accounts.get("registry");
  assert.ok(account, `the demo logins are printed: ${[...accounts.keys()]}`);
  const page = await browser.newPage({ locale: "ja-JP" });
  const external = [];
  page.on("request", (r) => { if (!r.url().startsWith(baseUrl)) external.push(r.url()); });
  await page.goto(`${baseUrl}/login?m=990019`);
  assert.equal(await page.locator("h2").textContent(), "職員ログイン");
  assert.equal(await page.inputValue("#municipality_code"), "990019");

  // A wrong password: the message names the problem, the form stays.
  await page.fill("#login", "registry");
  await page.fill("#password", "wrong-password-123");
  await page.press("#password", "Enter");
  await page.waitForSelector("#login-error");
  assert.match(await page.locator("#login-error").textContent(), /正しくありません/);

  // The printed login works, with the keyboard only. The clerk may see
  // 個人番号, so the first login enrols the second factor: the screen shows
  // a QR code and the key, and a code from the app completes the login.
  await page.fill("#password", account.password);
  await page.press("#password", "Enter");
  await page.waitForURL(`${baseUrl}/app/staff/enrol`);
  assert.ok(await page.locator("#totp-qr").isVisible());
  const secret = (await page.locator("#totp-secret").textContent()).trim();
  await page.fill("#code", totp(secret));
  await page.press("#code", "Enter");
  await page.waitForURL(`${baseUrl}/app`);
  assert.equal(await page.locator("#municipality").textContent(), "デモ市（990019）");
  assert.match(await page.locator("#user").textContent(), /住民記録担当/);
  assert.ok(await page.getByText("国民健康保険").isVisible());
  mkdirSync(join(here, "test-results"), { recursive: true });
  await page.screenshot({ path: join(here, "test-results", "shell.png"), fullPage: true });

  await page.click("text=ログアウト");
  await page.waitForURL(`${baseUrl}/login`);
  assert.deepEqual(external, [], "nothing is loaded from outside the server");
});
