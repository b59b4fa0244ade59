// The management console as its users click through it, in Debian's
// chromium, against a real licentiad and the real `licentia` CLI.
// Run by CTest (console_browser_test); `node --test console.test.mjs`
// with LICENTIAD_PATH and LICENTIA_CLI_PATH set runs it by hand. With
// LICENTIA_SCREENSHOT_DIR set it also saves the main pages there
// (scripts/console-screenshots.sh, for docs/console.md).
import {test, before, after} from "node:test";
import assert from "node:assert/strict";
import {join} from "node:path";
import {createHmac} from "node:crypto";
import {Server, launchBrowser} from "./harness.mjs";

const PASSWORD = "correct horse battery";
const shots = process.env.LICENTIA_SCREENSHOT_DIR;
let server;
let browser;

before(async () => {
  server = new Server();
  await server.start();
  browser = await launchBrowser();
  await server.admin("POST", "/v1/admin/products",
                     {id: "photo", name: "Photo Studio", versions: ["22.1"]});
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
});

async function newPage(options = {}) {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.on("dialog", d => d.accept());
  const errors = [];
  page.on("pageerror", e => errors.push(e.message));
  // A CSP violation shows as a console error: none is allowed.
  // (Answers with an error status, such as the first session probe's 401,
  // are logged as resource errors too: those are expected.)
  page.on("console", m => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) {
      errors.push(m.text());
    }
  });
  page.errors = errors;
  return page;
}

async function signUp(page, email) {
  await page.goto(server.url + "/console");
  await page.fill("#signup-email", email);
  await page.fill("#signup-password", PASSWORD);
  await page.click("#signup button[type=submit]");
  await page.waitForSelector("h1:text('Devices')");
}

// Fills in the sign-in form and sends it.
async function submitSignIn(page, email, password) {
  await page.fill("#signin-email", email);
  await page.fill("#signin-password", password);
  await page.click("#signin button[type=submit]");
}

// Signs in on the sign-in page the console shows to a browser whose
// session has ended.
async function signIn(page, email) {
  await page.waitForSelector("#signin");
  await submitSignIn(page, email, PASSWORD);
  await page.waitForSelector("h1:text('Devices')");
}

// Shows a connection code in the console and connects `device` with it
// through the CLI, as the page tells the user to.
async function connectWithCli(page, device, shot) {
  await page.click("#connect-device");
  const command = await page.textContent("#connect-command");
  assert.match(command, /^licentia connect [0-9A-Z]{4}-[0-9A-Z]{4}$/);
  if (shot) await screenshot(page, shot);
  const r = await server.cli(device, "connect", command.split(" ")[2]);
  assert.equal(r.code, 0, r.stderr);
  await page.click("text=Refresh the list");
}

async function screenshot(page, name) {
  // What a page shows never leaks a script's placeholders.
  const text = await page.textContent("main");
  assert.doesNotMatch(text, /\b(null|undefined|NaN)\b|\[object /, name);
  if (shots) await page.screenshot({path: join(shots, name + ".png"), fullPage: true});
}

test("an owner connects a device, adds codes and watches the rollover", async () => {
  const page = await newPage({viewport: {width: 1000, height: 800}});
  // A device already licensed, whose code joins the account when it
  // connects; a reserve that requires an account, added in the console.
  const current = await server.issue({product: "photo", term_days: 30, max_devices: 2});
  const reserve = await server.issue({product: "photo", term_days: 365,
                                      requires_account: true});
  assert.equal((await server.cli("laptop", "activate", current.code)).code, 0);

  await signUp(page, "ann@example.com");
  await screenshot(page, "devices-empty");
  assert.ok(await page.isVisible("#no-devices"));
  await connectWithCli(page, "laptop", "connect");
  const card = page.locator("#device-list article").first();
  await card.waitFor();
  const text = await card.textContent();
  assert.match(text, /fingerprint|vm|laptop|Linux/i);
  assert.match(text, new RegExp(current.code.slice(-5)));
  assert.match(text, /Reserve code: none/);

  // The reserve requires an account: refused until the account holds it.
  let r = await server.cli("laptop", "reserve", "add", reserve.code);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /ACCOUNT_REQUIRED/);
  await page.click("nav >> text=Licenses");
  await page.fill("#add-code-code", reserve.code.toLowerCase());
  await page.click("#add-code button[type=submit]");
  await page.waitForSelector(`#license-list >> text=${reserve.code.slice(-5)}`);
  // The administrator views the code it typed.
  const reserveCard = page.locator("#license-list article", {hasText: reserve.code.slice(-5)});
  await reserveCard.locator("text=View the code").click();
  await reserveCard.locator(`text=${reserve.code}`).waitFor();
  await screenshot(page, "licenses");
  // Set as the device's reserve from the console; the device takes it up
  // at its next contact, and the console shows the outcome.
  await page.click("nav >> text=Devices");
  const laptopCard = page.locator("#device-list article").first();
  await laptopCard.locator("select").selectOption(String(reserve.id));
  await laptopCard.locator("text=Set as the reserve").click();
  await page.waitForSelector("#device-list >> text=waiting for the device");
  r = await server.cli("laptop", "sync");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  r = await server.cli("laptop", "details");
  assert.match(r.stdout, new RegExp("Reserve code +\\*+-\\*+-\\*+-" + reserve.code.slice(-5)));
  await page.reload();
  await page.waitForSelector("#device-list >> text=/Set the reserve .* — done/");

  // The console shows the reserve waiting, and the license's end close.
  // Twenty days on, the 14-day session has ended: the console asks to
  // sign in again.
  await server.advanceDays(20);
  await page.reload();
  await signIn(page, "ann@example.com");
  await page.waitForSelector(`#device-list >> text=${reserve.code.slice(-5)}`);
  assert.match(await page.textContent("#device-list"), /Ends in \d+ days/);
  await screenshot(page, "devices");

  // Past the end: the device moves to the reserve; the console shows it.
  await server.advanceDays(11);
  r = await server.cli("laptop", "sync");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  await page.reload();
  await page.waitForSelector("#device-list");
  const after = await page.textContent("#device-list");
  assert.match(after, new RegExp("License: \\*+-\\*+-\\*+-" + reserve.code.slice(-5)));
  assert.match(after, /Reserve code: none/);

  await page.click("nav >> text=History");
  await page.waitForSelector("table");
  const history = await page.textContent("table");
  assert.match(history, /reserve\.activated/);
  assert.match(history, /account\.code_added/);
  await screenshot(page, "history");
  assert.deepEqual(page.errors, []);
});

test("a code that requires an account activates only on a connected device", async () => {
  const page = await newPage();
  const code = await server.issue({product: "photo", requires_account: true, max_devices: 3});
  await signUp(page, "bob@example.com");
  await connectWithCli(page, "desktop");
  await page.click("nav >> text=Licenses");
  await page.fill("#add-code-code", code.code);
  await page.click("#add-code button[type=submit]");
  await page.waitForSelector("#license-list");

  let r = await server.cli("desktop", "activate", code.code);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  r = await server.cli("stranger", "activate", code.code);
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /ACCOUNT_REQUIRED/);

  await page.click("nav >> text=Devices");
  await page.waitForSelector(`#device-list >> text=${code.code.slice(-5)}`);
  // Disconnect and free the seat: the device list empties, the seat is free.
  await page.click("text=Disconnect and free seats");
  await page.waitForSelector("#no-devices");
  const {seats_used} = await server.admin("GET", "/v1/admin/codes/" + code.id);
  assert.equal(seats_used, 0);
  assert.deepEqual(page.errors, []);
});

test("an administrator invites another account, which uses the code on its device", async () => {
  const code = await server.issue({product: "photo", requires_account: true, max_devices: 3});
  const admin = await newPage();
  await signUp(admin, "erin@example.com");
  await admin.click("nav >> text=Licenses");
  await admin.fill("#add-code-code", code.code);
  await admin.click("#add-code button[type=submit]");
  await admin.fill(`#invite-${code.id}-email`, "frank@example.com");
  await admin.click(`#invite-${code.id} button[type=submit]`);
  await admin.waitForSelector("#license-list >> text=frank@example.com · pending");
  // The link to send them leads to the page where they accept it.
  const link = await admin.locator("#license-list li", {hasText: "frank@example.com"})
                          .locator("code").textContent();
  assert.equal(link, server.url + "/console#licenses");

  const member = await newPage();
  await signUp(member, "frank@example.com");
  await connectWithCli(member, "frank-laptop");
  let r = await server.cli("frank-laptop", "activate", code.code);
  assert.match(r.stdout + r.stderr, /ACCOUNT_REQUIRED/);
  await member.goto(link);
  await member.waitForSelector("#invitations-to-you >> text=erin@example.com");
  await screenshot(member, "invitation");
  await member.click("#invitations-to-you >> text=Accept");
  await member.waitForSelector(`#license-list >> text=${code.code.slice(-5)}`);
  assert.match(await member.textContent("#license-list"), /member/);
  r = await server.cli("frank-laptop", "activate", code.code);
  assert.equal(r.code, 0, r.stdout + r.stderr);

  // The administrator sees the member's device and the accepted invitation.
  await admin.reload();
  await admin.waitForSelector("#license-list >> text=frank@example.com · accepted");
  assert.match(await admin.textContent("#license-list"), /1 of 3 in use/);
  assert.deepEqual(admin.errors, []);
  assert.deepEqual(member.errors, []);
});

test("sign-in, a wrong password and sign-out, with the keyboard alone on a phone", async () => {
  const page = await newPage({viewport: {width: 375, height: 700}, isMobile: true});
  await signUp(page, "carol@example.com");
  // Nothing wider than the screen.
  const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, "the page is " + overflow + " px wider than the screen");
  await page.click("nav >> text=Account");
  await page.click("#sign-out");
  await page.waitForSelector("#signin");

  // Keyboard only: focus the first field, type, Tab, type, Enter.
  await page.focus("#signin-email");
  await page.keyboard.type("carol@example.com");
  await page.keyboard.press("Tab");
  await page.keyboard.type("not the password");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#signin-error:text('wrong')");
  await page.fill("#signin-password", "");
  await page.focus("#signin-password");
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press("Enter");
  await page.waitForSelector("h1:text('Devices')");
  await page.click("nav >> text=Account");
  assert.equal(await page.textContent("#account-email"), "carol@example.com");
  assert.deepEqual(page.errors, []);
});

// RFC 6238's code for the server's (test) clock.
async function totp(secretBase32) {
  const {server_time} = await (await fetch(server.url + "/v1/ping")).json();
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of secretBase32) bits += alphabet.indexOf(c).toString(2).padStart(5, "0");
  const key = Buffer.from(bits.match(/.{8}/g).map(b => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(server_time / 30)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[19] & 15;
  const n = (mac.readUInt32BE(offset) & 0x7fffffff) % 1000000;
  return String(n).padStart(6, "0");
}

test("two-step sign-in: set up in the account page, then asked at sign-in", async () => {
  const page = await newPage();
  await signUp(page, "gina@example.com");
  await page.click("nav >> text=Account");
  await page.click("#totp-start");
  const secret = (await page.textContent("#totp-secret")).trim();
  await page.fill("#totp-on-code", await totp(secret));
  await page.click("#totp-on button[type=submit]");
  await page.waitForSelector("#recovery-codes li");
  const codes = await page.locator("#recovery-codes li").allTextContents();
  assert.equal(codes.length, 10);
  await screenshot(page, "two-step");
  await page.click("text=Done");
  await page.click("#sign-out");

  // The next step's code (the one used to turn it on is spent).
  await server.admin("POST", "/v1/admin/test/clock", {advance_seconds: 30});
  await submitSignIn(page, "gina@example.com", PASSWORD);
  await page.waitForSelector("#second-step-code");
  await page.fill("#second-step-code", "000000");
  await page.click("#second-step button[type=submit]");
  await page.waitForSelector("#second-step-error:text('not right')");
  await page.fill("#second-step-code", await totp(secret));
  await page.click("#second-step button[type=submit]");
  await page.waitForSelector("h1:text('Devices')");
  // A recovery code works too, and counts down.
  await page.click("nav >> text=Account");
  await page.click("#sign-out");
  await submitSignIn(page, "gina@example.com", PASSWORD);
  await page.fill("#second-step-code", codes[0]);
  await page.click("#second-step button[type=submit]");
  await page.waitForSelector("h1:text('Devices')");
  await page.click("nav >> text=Account");
  assert.equal(await page.textContent("#recovery-left"), "9");
  assert.deepEqual(page.errors, []);
});

test("the remaining flows: one reserve everywhere, remove, revoke, password, sign out everywhere, disconnect", async () => {
  const current = await server.issue({product: "photo", term_days: 30});
  const reserve = await server.issue({product: "photo", term_days: 365, max_devices: 3});
  assert.equal((await server.cli("hugo-pc", "activate", current.code)).code, 0);
  const page = await newPage();
  await signUp(page, "hugo@example.com");
  await connectWithCli(page, "hugo-pc");
  await page.click("nav >> text=Licenses");
  await page.fill("#add-code-code", reserve.code);
  await page.click("#add-code button[type=submit]");
  await page.click(`#everywhere-${reserve.id}`);
  await page.waitForSelector(`#everywhere-${reserve.id}-results >> text=set — the device takes it up`);
  assert.equal((await server.cli("hugo-pc", "sync")).code, 0);
  assert.match((await server.cli("hugo-pc", "details")).stdout, new RegExp(reserve.code.slice(-5)));

  // Remove it from the device's card; the device takes it up.
  await page.click("nav >> text=Devices");
  await page.locator("#device-list article").first().locator("text=Remove").click();
  await page.waitForSelector("#device-list >> text=/Remove the reserve .* — waiting for the device/");
  assert.equal((await server.cli("hugo-pc", "sync")).code, 0);
  assert.match((await server.cli("hugo-pc", "details")).stdout, /Reserve code +none/);

  // Invite, then revoke.
  await page.click("nav >> text=Licenses");
  await page.fill(`#invite-${reserve.id}-email`, "ivy@example.com");
  await page.click(`#invite-${reserve.id} button[type=submit]`);
  await page.locator("#license-list li", {hasText: "ivy@example.com"}).locator("text=Revoke").click();
  await page.waitForSelector("#license-list >> text=ivy@example.com · revoked");

  // A second browser signed in too; the password change ends its session.
  const other = await newPage();
  await other.goto(server.url + "/console");
  await signIn(other, "hugo@example.com");
  await page.click("nav >> text=Account");
  await page.fill("#password-current_password", PASSWORD);
  await page.fill("#password-new_password", "a brand new password");
  await page.click("#password button[type=submit]");
  await page.waitForSelector("#status:text('The password was changed.')");
  await other.reload();
  await other.waitForSelector("#signin");
  // This browser stays signed in; sign out everywhere ends it too.
  await page.click("text=Sign out everywhere");
  await page.waitForSelector("#signin");
  await submitSignIn(page, "hugo@example.com", PASSWORD);
  await page.waitForSelector("#signin-error:text('wrong')");
  await page.fill("#signin-password", "a brand new password");
  await page.click("#signin button[type=submit]");
  await page.waitForSelector("h1:text('Devices')");

  // Disconnect (keeping the seat).
  await page.locator("#device-list article").first().locator("button", {hasText: /^Disconnect$/}).click();
  await page.waitForSelector("#no-devices");
  const {seats_used} = await server.admin("GET", "/v1/admin/codes/" + current.id);
  assert.equal(seats_used, 1);
  assert.deepEqual(page.errors, []);
  assert.deepEqual(other.errors, []);
});

test("an invitation can be declined", async () => {
  const code = await server.issue({product: "photo"});
  const admin = await newPage();
  await signUp(admin, "jo@example.com");
  await admin.click("nav >> text=Licenses");
  await admin.fill("#add-code-code", code.code);
  await admin.click("#add-code button[type=submit]");
  await admin.fill(`#invite-${code.id}-email`, "kai@example.com");
  await admin.click(`#invite-${code.id} button[type=submit]`);
  const invitee = await newPage();
  await signUp(invitee, "kai@example.com");
  await invitee.click("nav >> text=Licenses");
  await invitee.click("#invitations-to-you >> text=Decline");
  // The page shows it gone, and no license came with it.
  await invitee.waitForSelector("#invitations-to-you", {state: "detached"});
  assert.ok(await invitee.isVisible("#no-licenses"));
  await admin.reload();
  await admin.waitForSelector("#license-list >> text=kai@example.com · declined");
});

// Regression: signing out starts a session check (the address changes);
// when it answered after the next sign-in - a slow network, or a person
// quicker than it - it replaced the signed-in page with the sign-in form
// again (CI saw the two-step prompt vanish this way). The check is held
// here until the sign-in is done.
test("a session check answering late does not undo a sign-in made meanwhile", async () => {
  const page = await newPage();
  await signUp(page, "hana@example.com");
  await page.click("nav >> text=Account");
  await page.waitForSelector("#sign-out");
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  // Answered as the server answered it when it was sent: signed out.
  await page.route("**/console/api/session", async (route) => {
    await held;
    await route.fulfill({
      status: 401,
      contentType: "application/json",
      body: JSON.stringify({error: {code: "UNAUTHORIZED", message: "Sign in."}}),
    });
  });
  await page.click("#sign-out");
  await submitSignIn(page, "hana@example.com", PASSWORD);
  await page.waitForSelector("h1:text('Devices')");
  const late = page.waitForResponse("**/console/api/session");
  release();
  await late;
  // Whatever the late answer set off has run by the next task.
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
  assert.equal(await page.textContent("h1"), "Devices");
  assert.equal(await page.isVisible("#signin"), false);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("another account sees nothing of the first", async () => {
  const page = await newPage();
  await signUp(page, "dave@example.com");
  assert.ok(await page.isVisible("#no-devices"));
  await page.click("nav >> text=Licenses");
  await page.waitForSelector("#no-licenses");
  await page.click("nav >> text=History");
  await page.waitForSelector("text=Nothing has happened yet.");
});

test("the console's pages carry a strict Content-Security-Policy", async () => {
  const res = await fetch(server.url + "/console");
  const csp = res.headers.get("content-security-policy");
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  const html = await res.text();
  assert.doesNotMatch(html, /<script>(?!<)/);  // no inline script
  assert.doesNotMatch(html, /https?:\/\//);   // nothing from elsewhere
});
