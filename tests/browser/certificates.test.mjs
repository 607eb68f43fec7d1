// Screen test: a clerk issues a 住民票の写し for a demo household through
// the certificate screen (choose persons and items, preview, issue) and
// downloads the PDF, in headless Chromium against `kiban serve --demo`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { accounts, baseUrl, bin, browser, databaseUrl, here, startKiban, stopKiban } from "./harness.mjs";
import { totp } from "./totp.mjs";

let clerkContext;

before(() => startKiban("cert", 200));

after(async () => {
  await clerkContext?.close();
  await stopKiban();
});

/**
 * The registry clerk's page, logged in. The clerk may see 個人番号, so the
 * first login enrols the second factor (the code computed as an
 * authenticator app would); later pages share that browser context.
 */
async function clerkPage() {
  if (clerkContext) {
    const page = await clerkContext.newPage();
    await page.goto(`${baseUrl}/app`);
    return page;
  }
  clerkContext = await browser.newContext({ locale: "ja-JP", acceptDownloads: true });
  const page = await clerkContext.newPage();
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

/** A demo household with at least two members, found through the JSON API
 * with a service token (`kiban token create`). */
async function findHousehold() {
  const token = execFileSync(
    bin,
    ["--database-url", databaseUrl, "token", "create", "--municipality", "990019", "--login", "registry"],
    { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  ).trim();
  const search = await fetch(`${baseUrl}/api/v1/municipalities/990019/persons`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(search.status, 200);
  const { results } = await search.json();
  const sizes = new Map();
  for (const p of results) sizes.set(p.household_id, (sizes.get(p.household_id) ?? 0) + 1);
  const household = [...sizes.entries()].find(([, n]) => n >= 2)?.[0] ?? results[0].household_id;
  const response = await fetch(`${baseUrl}/api/v1/municipalities/990019/households/${household}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(response.status, 200);
  return response.json();
}

/** Text without spaces and variation selectors, to compare with pdftotext. */
const plain = (text) => text.replace(/[\s\u{E0100}-\u{E01EF}]/gu, "");

test("a clerk issues a 住民票の写し for a household and downloads the PDF", async () => {
  const account = accounts.get("registry");
  assert.ok(account, `the demo logins are printed: ${[...accounts.keys()]}`);
  const household = await findHousehold();
  const head = household.members[0];

  const page = await clerkPage();
  const external = [];
  const failedResponses = [];
  page.on("request", (r) => { if (!r.url().startsWith(baseUrl)) external.push(r.url()); });
  page.on("response", (r) => {
    if (r.status() >= 400 && !r.url().endsWith("/favicon.ico")) failedResponses.push(`${r.status()} ${r.url()}`);
  });
  // The navigation leads to the certificate screen; the registry screens
  // link to it with the household id.
  await page.click("text=証明書交付");
  await page.waitForURL(`${baseUrl}/app/certificates/new`);
  await page.fill("#household_id", String(household.household_id));
  await page.click("text=世帯を表示");
  await page.waitForSelector("#certificate-form");
  for (const member of household.members) {
    assert.ok(await page.locator(`#person_${member.person_id}`).isChecked());
  }

  // Items and purpose, then the preview.
  await page.check('input[name="item_relationship"]');
  await page.check('input[name="item_resident_record_code"]');
  await page.fill("#purpose", "児童手当の申請");
  await page.click("#preview");
  await page.waitForSelector("#preview-area");
  const preview = await page.locator("#preview-area").textContent();
  assert.ok(plain(preview).includes(plain(head.name)), preview);
  assert.ok(preview.includes(head.resident_record_code), preview);

  // Issue: the PDF downloads.
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click("#issue"),
  ]);
  const file = await download.path();
  const pdf = readFileSync(file);
  assert.equal(pdf.subarray(0, 4).toString(), "%PDF");
  const text = execFileSync("pdftotext", ["-layout", file, "-"]).toString();
  for (const member of household.members) {
    assert.ok(plain(text).includes(plain(member.name)), `${member.name} in:\n${text}`);
  }
  assert.ok(plain(text).includes("住民票"), text);
  assert.ok(plain(text).includes(head.resident_record_code), text);

  // The issuance is listed in the 交付履歴 of the screen.
  await page.goto(`${baseUrl}/app/certificates/new`);
  assert.match(await page.locator("#issued-list").textContent(), /住民票の写し/);
  mkdirSync(join(here, "test-results"), { recursive: true });
  await page.screenshot({ path: join(here, "test-results", "certificates.png"), fullPage: true });
  assert.deepEqual(external, [], "nothing is loaded from outside the server");
  assert.deepEqual(failedResponses, []);
});

test("a refusal is shown on the screen, naming what is wrong", async () => {
  const household = await findHousehold();
  const page = await clerkPage();
  await page.goto(`${baseUrl}/app/certificates/new?household_id=${household.household_id}`);
  for (const member of household.members) await page.uncheck(`#person_${member.person_id}`);
  await page.click("#issue");
  await page.waitForSelector("#certificate-error");
  assert.match(await page.locator("#certificate-error").textContent(), /1人以上/);
});

test("a clerk registers a seal, reissues its card and issues the 印鑑登録証明書", async () => {
  const household = await findHousehold();
  const today = new Date(Date.now() + 9 * 3600 * 1000).toISOString().slice(0, 10);
  const ageOn = (birth) => {
    const [by, bm, bd] = birth.split("-").map(Number);
    const [ty, tm, td] = today.split("-").map(Number);
    return ty - by - ((tm < bm || (tm === bm && td < bd)) ? 1 : 0);
  };
  const adult = household.members.find((m) => ageOn(m.birth_date) >= 20);
  assert.ok(adult, "the demo household has an adult");

  const page = await clerkPage();
  await page.click("text=印鑑登録");
  await page.waitForURL(`${baseUrl}/app/seal`);

  // Same-day registration with the impression uploaded as PNG.
  await page.fill("#register_person_id", String(adult.person_id));
  await page.setInputFiles("#impression", join(here, "..", "..", "crates", "kiban-print", "tests", "fixtures", "impression.png"));
  await page.click("text=申請を登録");
  await page.waitForSelector("#seal-status");
  assert.equal(await page.locator("#seal-status").textContent(), "登録済み");
  const firstCard = (await page.locator("#seal-card").textContent()).trim();
  assert.match(firstCard, /^\d{8}$/);

  // Lost card: a new number.
  await page.click("#card-reissue");
  await page.waitForSelector("#seal-notice");
  const newCard = (await page.locator("#seal-card").textContent()).trim();
  assert.notEqual(newCard, firstCard);

  // The certificate by the new card number downloads; the old one is refused.
  await page.goto(`${baseUrl}/app/seal`);
  await page.fill("#seal_card_number", newCard);
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.click("text=印鑑登録証明書を交付（PDF）"),
  ]);
  const file = await download.path();
  const pdf = readFileSync(file);
  assert.equal(pdf.subarray(0, 4).toString(), "%PDF");
  const text = execFileSync("pdftotext", ["-layout", file, "-"]).toString();
  assert.ok(plain(text).includes("印鑑登録証明書"), text);
  assert.ok(plain(text).includes(plain(adult.name)), text);
  await page.fill("#seal_card_number", firstCard);
  await page.click("text=印鑑登録証明書を交付（PDF）");
  await page.waitForSelector("#seal-error");
  assert.match(await page.locator("#seal-error").textContent(), /無効/);
});
