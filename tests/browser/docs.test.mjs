// The API docs in a real browser: GET / links to /docs; /docs (Swagger UI, served by Deskbridge
// with its own assets) lists every operation of the spec; "Authorize" takes the API key and the
// account token; "Try it out" on GET /tickets lists the synced tickets. Nothing is loaded from
// anywhere but Deskbridge (other requests are refused and fail the test).
//
// It starts `deskbridge demo` (a simulated Freshdesk, linked and synced; debug build, built here
// if needed) on a fresh database and drives Debian's Chromium with playwright-core. Screenshots
// go to target/docs-screenshots, or to docs/images with UPDATE_SCREENSHOTS=1.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, mkdirSync, rmSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const ROOT = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../..");
const TARGET = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(ROOT, "target");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.UPDATE_SCREENSHOTS === "1" ? join(ROOT, "docs/images") : join(TARGET, "docs-screenshots");

/**
 * A fresh database on DATABASE_URL's server, dropped afterwards: the test never uses the demo's
 * database (scripts/test sets DATABASE_URL to the server `deskbridge db-server` finds).
 */
function freshDatabase() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("set DATABASE_URL to a PostgreSQL server the test may create a database on (scripts/test does)");
  const name = `deskbridge_docs_${randomBytes(6).toString("hex")}`;
  execFileSync("psql", [url, "-qc", `CREATE DATABASE ${name}`]);
  const u = new URL(url);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => execFileSync("psql", [url, "-qc", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]) };
}

/** Waits for a file to exist while `child` runs. */
async function waitForFile(path, child, what) {
  let stderr = "";
  child.stderr.on("data", (d) => { stderr = (stderr + d).slice(-4000); });
  for (let i = 0; i < 1200; i++) {
    if (existsSync(path)) return JSON.parse(readFileSync(path, "utf8"));
    if (child.exitCode !== null) throw new Error(`${what} exited (${child.exitCode}): ${stderr}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
  throw new Error(`${what} did not get ready: ${stderr}`);
}

test("/docs lists the operations and lists tickets with Try it out, offline, in headless Chromium", { timeout: 300_000 }, async () => {
  execFileSync("cargo", ["build", "-q", "-p", "deskbridge", "--bin", "deskbridge"], { cwd: ROOT, stdio: "inherit" });
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  const db = freshDatabase();
  const work = mkdtempSync(join(tmpdir(), "deskbridge-docs-"));
  let context;
  let demo;
  try {
    const credsFile = join(work, "credentials.json");
    demo = spawn(join(TARGET, "debug", "deskbridge"), ["demo", "--listen", "127.0.0.1:0", "--tickets", "30", "--credentials-file", credsFile], {
      env: { ...process.env, DESKBRIDGE_HOME: join(work, "home"), RUST_LOG: "warn", DATABASE_URL: db.url },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const creds = await waitForFile(credsFile, demo, "deskbridge demo");
    const base = creds.base_url;
    const spec = await (await fetch(`${base}/openapi.json`)).json();
    const operations = Object.values(spec.paths).flatMap((item) => Object.keys(item).filter((m) => ["get", "put", "post", "delete", "patch"].includes(m)));

    mkdirSync(SHOTS, { recursive: true });
    context = await chromium.launchPersistentContext(join(work, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    // Only Deskbridge: anything else is refused, and recorded.
    const foreign = [];
    await context.route("**/*", (route) => {
      const url = route.request().url();
      if (url.startsWith(base) || url.startsWith("data:")) return route.continue();
      foreign.push(url);
      return route.abort();
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const failed = [];
    page.on("requestfailed", (r) => failed.push(r.url()));

    // GET / points to the docs.
    await page.goto(`${base}/`);
    await Promise.all([page.waitForURL(/\/docs/), page.getByRole("link", { name: "API documentation" }).click()]);

    // Every operation is listed.
    await page.locator(".swagger-ui .info .title").getByText("Deskbridge Ticketing API").waitFor();
    await page.locator(".opblock").first().waitFor();
    assert.equal(await page.locator(".opblock").count(), operations.length, "one block per operation");
    await page.screenshot({ path: join(SHOTS, "docs-operations.png") });

    // Authorize with the API key and the account token.
    await page.locator("button.authorize").first().click();
    const modal = page.locator(".modal-ux");
    await modal.waitFor();
    const forms = modal.locator(".auth-container");
    assert.equal(await forms.count(), 2, "bearerAuth and accountToken");
    for (let i = 0; i < 2; i++) {
      const form = forms.nth(i);
      const text = await form.innerText();
      const value = /X-Account-Token|accountToken/.test(text) ? creds.account_token : creds.api_key;
      await form.locator("input").first().fill(value);
      await form.locator("button.authorize").click();
      await form.locator("button", { hasText: "Logout" }).waitFor();
    }
    await modal.locator("button.btn-done").first().click();
    await modal.waitFor({ state: "detached" });

    // Try it out: GET /api/ticketing/v1/tickets with page_size 3.
    const op = page.locator(".opblock-get", { has: page.locator('[data-path="/api/ticketing/v1/tickets"]') }).first();
    await op.locator(".opblock-summary").first().click();
    await op.getByRole("button", { name: "Try it out" }).click();
    await op.locator('tr[data-param-name="page_size"] input').fill("3");
    await op.getByRole("button", { name: "Execute" }).click();
    const status = op.locator(".live-responses-table tbody tr.response td.response-col_status").first();
    await status.waitFor();
    assert.equal((await status.innerText()).trim(), "200");
    const body = await op.locator(".live-responses-table tbody tr.response td.response-col_description pre").first().innerText();
    const listed = JSON.parse(body);
    assert.equal(listed.results.length, 3, "three tickets");
    assert.ok(listed.results.every((t) => typeof t.id === "string" && "name" in t), "tickets");
    const curl = await op.locator(".curl-command").first().innerText();
    assert.match(curl, /X-Account-Token/, "the account token is sent");
    // The screenshot: the request sent (curl, with both credentials) and the server's answer.
    await op.locator(".responses-wrapper").first().evaluate((el) => el.scrollIntoView({ block: "start" }));
    await page.evaluate(() => window.scrollBy(0, -8));
    await page.screenshot({ path: join(SHOTS, "docs-try-it-out.png") });

    assert.deepEqual(foreign, [], "no request leaves Deskbridge");
    assert.deepEqual(failed, [], "no request failed");
  } finally {
    await context?.close();
    demo?.kill("SIGINT");
    await new Promise((ok) => setTimeout(ok, 500));
    db?.drop();
    rmSync(work, { recursive: true, force: true });
  }
});
