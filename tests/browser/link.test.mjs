// The Link flow in a real browser: a product page opens the magic link in a popup; the end user
// picks Freshdesk and types the domain and a wrong API key with the keyboard (the error is
// shown), then the right key; the page hands the public token to the opener (postMessage); the
// product's backend exchanges it for the account token, which then lists the synced tickets.
//
// It starts the Freshdesk simulator and `deskbridge serve` (debug builds, built here if
// needed) on a fresh database, and drives Debian's Chromium with playwright-core. Screenshots
// of each step go to target/link-screenshots, or to docs/link with UPDATE_SCREENSHOTS=1.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const ROOT = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "../..");
const TARGET = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(ROOT, "target");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const SHOTS = process.env.UPDATE_SCREENSHOTS === "1" ? join(ROOT, "docs/link") : join(TARGET, "link-screenshots");
const children = [];

/** Starts a binary; resolves with the first stdout line matching `pattern`. */
function start(bin, args, env, pattern) {
  const child = spawn(join(TARGET, "debug", bin), args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let stderr = "";
  child.stderr.on("data", (d) => { stderr = (stderr + d).slice(-4000); });
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${bin} did not start: ${stderr}`)), 60_000);
    createInterface({ input: child.stdout }).on("line", (line) => {
      const m = line.match(pattern);
      if (m) { clearTimeout(timer); ok(m); }
    });
    child.on("exit", (code) => { clearTimeout(timer); fail(new Error(`${bin} exited (${code}): ${stderr}`)); });
  });
}

/** A free TCP port on 127.0.0.1 (serve's public URL must be known before it starts). */
async function freePort() {
  const probe = createServer();
  await new Promise((ok) => probe.listen(0, "127.0.0.1", ok));
  const { port } = probe.address();
  await new Promise((ok) => probe.close(ok));
  return port;
}

/**
 * A fresh database on DATABASE_URL's server, dropped afterwards: the test never uses the demo's
 * database (scripts/test sets DATABASE_URL to the server `deskbridge db-server` finds).
 */
function freshDatabase() {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error("set DATABASE_URL to a PostgreSQL server the test may create a database on (scripts/test does)");
  const name = `deskbridge_browser_${randomBytes(6).toString("hex")}`;
  execFileSync("psql", [url, "-qc", `CREATE DATABASE ${name}`]);
  const u = new URL(url);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => execFileSync("psql", [url, "-qc", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]) };
}

async function api(base, key, method, path, body) {
  const res = await fetch(`${base}/api/ticketing/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" },
    body: body && JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => null) };
}

test("the Link page links a Freshdesk account from a magic link, in headless Chromium", { timeout: 300_000 }, async () => {
  execFileSync("cargo", ["build", "-q", "-p", "deskbridge", "--bin", "deskbridge", "-p", "deskbridge-freshdesk-sim", "--bin", "deskbridge-freshdesk-sim"], { cwd: ROOT, stdio: "inherit" });
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium`);
  const db = freshDatabase();
  const work = mkdtempSync(join(tmpdir(), "deskbridge-browser-"));
  let context;
  try {
    // The simulated Freshdesk, then Deskbridge in front of it.
    const [, simSub, freshdeskKey, simBase] = await start("deskbridge-freshdesk-sim", ["--port", "0", "--seed", "3", "--tickets", "25", "--conversations-per-ticket", "1"], {}, /^account (\S+) api_key (\S+) base_url (\S+)/);

    // The product's page, on another origin: opens the magic link and listens for the token.
    let magic = "";
    const product = createServer((_, res) => {
      res.setHeader("Content-Type", "text/html");
      res.end(`<!doctype html><title>Product</title><button id="connect">Connect your helpdesk</button>
        <script>window.received = [];
        addEventListener("message", (e) => { if (e.data && e.data.type === "deskbridge-link") window.received.push(e.data); });
        document.getElementById("connect").onclick = () => window.open(${JSON.stringify(magic)}, "link", "width=560,height=760");</script>`);
    });
    await new Promise((ok) => product.listen(0, "127.0.0.1", ok));
    const productUrl = `http://127.0.0.1:${product.address().port}/`;

    // Magic links come from DESKBRIDGE_PUBLIC_URL; the Link page posts the public token only to
    // DESKBRIDGE_LINK_EMBED_ORIGINS (the product's origin).
    const port = await freePort();
    const env = {
      DESKBRIDGE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      DESKBRIDGE_LINK_EMBED_ORIGINS: new URL(productUrl).origin,
      DESKBRIDGE_MASTER_KEY: randomBytes(32).toString("base64"),
      DESKBRIDGE_ALLOW_PROVIDER_HOSTS: new URL(simBase).origin,
      DESKBRIDGE_HOME: join(work, "home"),
      DESKBRIDGE_LISTEN: `127.0.0.1:${port}`,
      DESKBRIDGE_WORKERS: "1",
      RUST_LOG: "warn",
      DATABASE_URL: db.url,
    };
    const [, base] = await start("deskbridge", ["serve"], env, /^Deskbridge listening on (http:\/\/\S+)/);
    // The database is fresh, so the organization takes a readable name (it shows on the screenshots).
    const org = "Example Helpdesk App";
    const created = execFileSync(join(TARGET, "debug", "deskbridge"), ["api-key", "create", "--org", org], { env: { ...process.env, ...env } }).toString().trim().split("\n");
    const apiKey = created[created.length - 1];

    // The product's backend asks for a magic link (no integration: the picker comes first).
    const lt = await api(base, apiKey, "POST", "/link-token", {
      end_user_origin_id: "acme-42", end_user_organization_name: "Acme Support", end_user_email_address: "it@acme.example",
      categories: ["ticketing"], should_create_magic_link_url: true,
    });
    assert.equal(lt.status, 200, JSON.stringify(lt.body));
    magic = lt.body.magic_link_url;
    assert.match(magic, /\/link\/dblt_/);
    assert.ok(magic.startsWith(`${base}/link/`), `the magic link is on the public URL: ${magic}`);

    mkdirSync(SHOTS, { recursive: true });
    context = await chromium.launchPersistentContext(join(work, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 560, height: 760 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const requests = [];
    context.on("request", (r) => requests.push(r.url()));
    const opener = context.pages()[0] ?? (await context.newPage());
    await opener.goto(productUrl);
    const [popup] = await Promise.all([context.waitForEvent("page"), opener.click("#connect")]);
    await popup.waitForLoadState();

    // Step 1, by keyboard: the first focusable element is Freshdesk.
    await popup.getByRole("heading", { name: "Connect your helpdesk" }).waitFor();
    await popup.screenshot({ path: join(SHOTS, "1-choose.png"), fullPage: true });
    await popup.keyboard.press("Tab");
    assert.match(await popup.evaluate(() => document.activeElement?.textContent ?? ""), /Freshdesk/);
    await Promise.all([popup.waitForURL(/integration=freshdesk/), popup.keyboard.press("Enter")]);

    // Step 2: the domain field has the focus; the help says where the key is.
    await popup.getByRole("heading", { name: "Connect Freshdesk" }).waitFor();
    assert.equal(await popup.evaluate(() => document.activeElement?.id), "domain");
    await popup.getByText("Where do I find my API key?").click();
    await popup.getByText("View API Key").waitFor();
    await popup.screenshot({ path: join(SHOTS, "2-credentials.png"), fullPage: true });
    await popup.keyboard.press("Shift+Tab");
    await popup.keyboard.press("Shift+Tab");
    assert.equal(await popup.evaluate(() => document.activeElement?.id), "domain");
    await popup.keyboard.type(simBase);
    await popup.keyboard.press("Tab");
    assert.equal(await popup.evaluate(() => document.activeElement?.id), "api_key");
    await popup.keyboard.type("not-the-right-key-123");
    await popup.keyboard.press("Enter");

    // Step 3: the wrong key is explained, in the alert region, which takes the focus.
    const alert = popup.getByRole("alert");
    await alert.getByText("Freshdesk rejected the API key").waitFor();
    assert.equal(await popup.evaluate(() => document.activeElement?.id), "error");
    await popup.screenshot({ path: join(SHOTS, "3-wrong-key.png"), fullPage: true });

    // The same form on a phone.
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${magic}?integration=freshdesk`);
    await phone.getByLabel("API key").waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling on a phone (${overflow}px)`);
    await phone.screenshot({ path: join(SHOTS, "5-phone.png"), fullPage: true });
    await phone.close();

    // Step 4: the right key.
    await popup.getByLabel("API key").fill(freshdeskKey);
    await popup.getByLabel("API key").press("Enter");
    await popup.getByRole("heading", { name: "Freshdesk is connected" }).waitFor();
    await popup.screenshot({ path: join(SHOTS, "4-connected.png"), fullPage: true });

    // The opener got the public token; the backend exchanges it and lists tickets.
    await opener.waitForFunction(() => window.received.length > 0);
    const [message] = await opener.evaluate(() => window.received);
    assert.equal(message.status, "success");
    assert.equal(message.integration, "freshdesk");
    assert.match(message.public_token, /^dbpt_/);
    const exchanged = await api(base, apiKey, "GET", `/account-token/${message.public_token}`);
    assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
    assert.equal(exchanged.body.integration.name, "Freshdesk");
    const again = await api(base, apiKey, "GET", `/account-token/${message.public_token}`);
    assert.equal(again.status, 404, "public tokens are single use");
    const token = exchanged.body.account_token;
    let tickets = [];
    for (let i = 0; i < 300 && tickets.length === 0; i++) {
      const res = await fetch(`${base}/api/ticketing/v1/tickets?page_size=100`, { headers: { Authorization: `Bearer ${apiKey}`, "X-Account-Token": token } });
      assert.equal(res.status, 200);
      tickets = (await res.json()).results;
      if (tickets.length === 0) await new Promise((ok) => setTimeout(ok, 200));
    }
    assert.ok(tickets.length >= 20, `the account token lists the synced tickets (${tickets.length})`);

    // Step 6: a non-admin agent's key cannot create automation rules, so the success step shows
    // the rule to paste (URL, secret header, JSON body).
    const agent = await (await fetch(`${simBase}/_sim/accounts/${simSub}/agent-key`, { method: "POST" })).json();
    const lt2 = await api(base, apiKey, "POST", "/link-token", {
      end_user_origin_id: "acme-43", end_user_organization_name: "Acme Support", end_user_email_address: "it@acme.example",
      categories: ["ticketing"], integration: "freshdesk", should_create_magic_link_url: true,
    });
    assert.equal(lt2.status, 200, JSON.stringify(lt2.body));
    const agentPage = await context.newPage();
    await agentPage.goto(lt2.body.magic_link_url);
    await agentPage.locator("#domain").fill(simBase);
    await agentPage.locator("#api_key").fill(agent.api_key);
    await agentPage.locator("#api_key").press("Enter");
    await agentPage.getByRole("heading", { name: "See ticket changes within seconds" }).waitFor();
    const pushText = await agentPage.locator("#push").innerText();
    assert.match(pushText, /X-Deskbridge-Push-Secret: dbpush_/);
    assert.match(pushText, /\{\{ticket\.id\}\}/);
    await agentPage.screenshot({ path: join(SHOTS, "6-push-setup.png"), fullPage: true });
    await agentPage.close();

    // Nothing was loaded from anywhere but Deskbridge and the product's page.
    const foreign = requests.filter((u) => !u.startsWith(base) && !u.startsWith(productUrl));
    assert.deepEqual(foreign, [], "no external asset");
    product.close();
  } finally {
    await context?.close();
    for (const child of children) child.kill("SIGTERM");
    await new Promise((ok) => setTimeout(ok, 500));
    db?.drop();
    rmSync(work, { recursive: true, force: true });
  }
});
