// Swagger UI in headless Chromium, as an integrator meets it (see README.md here).
//
//   node tests/browser/swagger-ui.mjs BASE_URL TOKEN SCREENSHOT.png
//   node tests/browser/swagger-ui.mjs http://127.0.0.1:18990/ "$TOKEN" /tmp/browser/direct.png
//   node tests/browser/swagger-ui.mjs http://127.0.0.1:18991/cnfs/ "$TOKEN" /tmp/browser/proxy.png
//
// Opens BASE_URL + "swagger-ui/", checks the page (lang, title, the three tags), authorizes with
// TOKEN through the "Authorize" dialog, then on GET /api/v1/moi and GET /api/v1/communes clicks
// "Try it out" and "Execute" and checks the response code shown is 200 and that the request went
// to BASE_URL + "api/v1/…" (through the prefix, if any); then authorizes again with "Bearer TOKEN"
// (the usual mistake) and checks that /moi's 401 says so. Every network request is recorded; any
// that leaves BASE_URL's host fails the run. Screenshots: SCREENSHOT.png (the whole page),
// SCREENSHOT-top.png (its top), SCREENSHOT-moi.png and SCREENSHOT-communes.png (the two executed
// operations). Prints a JSON summary; exits 1 on any failure.
//
// Needs `playwright-core` (npm) and a Chromium (default /usr/bin/chromium, or $CHROMIUM); it never
// downloads a browser.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [base, token, screenshot] = process.argv.slice(2);
if (!base || !token || !screenshot || !base.endsWith("/")) {
  console.error("usage: node swagger-ui.mjs BASE_URL/ TOKEN SCREENSHOT.png");
  process.exit(2);
}
const host = new URL(base).host;
const failures = [];
const check = (ok, what) => {
  if (!ok) failures.push(what);
};

const profile = mkdtempSync(join(tmpdir(), "cnfs-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
  viewport: { width: 1280, height: 900 },
});

const requests = [];
context.on("request", (request) => requests.push({ method: request.method(), url: request.url() }));
const encodings = {};
context.on("response", (response) => {
  const encoding = response.headers()["content-encoding"];
  if (encoding) encodings[new URL(response.url()).pathname] = encoding;
});

const summary = { base };
try {
  const page = context.pages()[0] ?? (await context.newPage());
  const consoleErrors = [];
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });

  const loaded = await page.goto(`${base}swagger-ui/`, { waitUntil: "networkidle" });
  check(loaded?.status() === 200, `page status ${loaded?.status()}`);
  summary.title = await page.title();
  summary.lang = await page.getAttribute("html", "lang");
  check(summary.title === "cnfs-api", `title ${summary.title}`);
  check(summary.lang === "fr", `lang ${summary.lang}`);

  await page.waitForSelector(".opblock-tag", { timeout: 20000 });
  summary.tags = await page.$$eval(".opblock-tag", (tags) => tags.map((t) => t.getAttribute("data-tag")));
  for (const tag of ["Référentiel", "Santé", "Accès"]) check(summary.tags.includes(tag), `tag ${tag} missing`);
  summary.operations = await page.$$eval(".opblock-summary-path", (paths) => paths.length);
  check(summary.operations >= 10, `only ${summary.operations} operations`);
  summary.servers = await page.$$eval(".servers select option", (options) => options.map((o) => o.value));

  // Authorize: the token alone, as the scheme's description says.
  await page.click("button.authorize");
  await page.waitForSelector(".modal-ux input");
  summary.authorizeHelp = (await page.textContent(".modal-ux .auth-container"))?.slice(0, 160);
  await page.fill(".modal-ux input", token);
  await page.click(".modal-ux .auth-btn-wrapper button.authorize");
  await page.click(".modal-ux .auth-btn-wrapper button.btn-done");

  summary.executed = {};
  // /moi needs the token (sent as "Bearer <token>"); /communes is public (`security: []`).
  for (const [path, secured] of [["/api/v1/moi", true], ["/api/v1/communes", false]]) {
    const block = page.locator(".opblock", { has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
    await block.locator(".opblock-summary").first().click();
    await block.locator(".try-out__btn").click();
    // What "Try it out" pre-fills, by parameter.
    const prefilled = await block.locator("tr[data-param-name]").evaluateAll((rows) =>
      Object.fromEntries(
        rows.map((row) => {
          const field = row.querySelector("input, select, textarea");
          return [row.getAttribute("data-param-name"), field ? field.value : null];
        }),
      ),
    );
    const sent = page.waitForRequest((request) => new URL(request.url()).pathname.endsWith(path));
    await block.locator("button.execute").click();
    const request = await sent;
    const status = block.locator(".live-responses-table .response .response-col_status").first();
    await status.waitFor({ timeout: 20000 });
    const shown = (await status.textContent()).trim();
    const body = (await block.locator(".live-responses-table .response-col_description pre").first().textContent()) ?? "";
    summary.executed[path] = { prefilled, url: request.url(), shown, body: body.slice(0, 200) };
    await block.screenshot({ path: screenshot.replace(/\.png$/, `-${path.split("/").pop()}.png`) });
    check(shown === "200", `${path}: response code shown ${shown}`);
    check(request.url().startsWith(`${base}api/v1/`), `${path}: sent to ${request.url()}`);
    const authorization = request.headers()["authorization"];
    check(secured ? authorization === `Bearer ${token}` : authorization === undefined, `${path}: Authorization ${authorization}`);
  }

  summary.consoleErrors = [...consoleErrors];
  check(consoleErrors.length === 0, `console errors: ${consoleErrors.join(" | ")}`);

  // The usual mistake: "Bearer <token>" pasted into Authorize. The 401 must say what to do (the
  // browser logs that 401 in the console: expected from here on).
  await page.click("button.authorize");
  await page.click(".modal-ux .auth-btn-wrapper button:has-text('Logout')");
  await page.fill(".modal-ux input", `Bearer ${token}`);
  await page.click(".modal-ux .auth-btn-wrapper button.authorize");
  await page.click(".modal-ux .auth-btn-wrapper button.btn-done");
  const moi = page.locator(".opblock", { has: page.locator('.opblock-summary-path[data-path="/api/v1/moi"]') });
  const answered = page.waitForResponse((response) => new URL(response.url()).pathname.endsWith("/api/v1/moi"));
  await moi.locator("button.execute").click();
  check((await answered).status() === 401, "doubled Bearer: not a 401");
  const moiStatus = moi.locator(".live-responses-table .response .response-col_status").first();
  for (let i = 0; i < 100 && (await moiStatus.textContent()).trim() !== "401"; i++) await page.waitForTimeout(100);
  const refused = (await moi.locator(".live-responses-table .response-col_description pre").first().textContent()) ?? "";
  summary.doubledBearer = JSON.parse(refused).detail;
  check(refused.includes("« Bearer » en double"), `doubled Bearer: ${refused}`);
  await moi.screenshot({ path: screenshot.replace(/\.png$/, "-moi-doubled-bearer.png") });

  await page.screenshot({ path: screenshot, fullPage: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: screenshot.replace(/\.png$/, "-top.png") });
  summary.screenshot = screenshot;
} catch (error) {
  failures.push(`exception: ${error.message}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}

summary.requests = requests.length;
summary.origins = [...new Set(requests.map((r) => new URL(r.url).origin))];
summary.encodings = encodings;
// data: and blob: URLs (inline images) are not network requests.
const outside = requests.filter((r) => /^https?:$/.test(new URL(r.url).protocol) && new URL(r.url).host !== host);
for (const r of outside) failures.push(`request outside ${host}: ${r.method} ${r.url}`);
summary.failures = failures;
console.log(JSON.stringify(summary, null, 2));
process.exit(failures.length ? 1 : 0);
