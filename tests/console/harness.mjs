// What the console's browser tests stand on: a real licentiad on a free
// loopback port with a fresh data directory and the test clock, the real
// `licentia` CLI acting as a device, and Debian's chromium driven by
// playwright-core. Paths come from CTest (tests/CMakeLists.txt).
import {spawn, execFile} from "node:child_process";
import {mkdtempSync, readFileSync, existsSync, rmSync} from "node:fs";
import {tmpdir} from "node:os";
import {join} from "node:path";
import {setTimeout as delay} from "node:timers/promises";
import {chromium} from "playwright-core";

export const LICENTIAD = process.env.LICENTIAD_PATH;
export const LICENTIA = process.env.LICENTIA_CLI_PATH;
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

export class Server {
  async start() {
    this.root = mkdtempSync(join(tmpdir(), "licentia-console-"));
    this.data = join(this.root, "data");
    const portFile = join(this.root, "port");
    const tokenFile = join(this.root, "token");
    this.proc = spawn(LICENTIAD, [
      "--listen", "127.0.0.1:0", "--data-dir", this.data,
      "--port-file", portFile, "--admin-token-file", tokenFile,
      "--test-clock", "--test-clock-start", "1800000000",
      "--rate-limit-ip", "0", "--rate-limit-code", "0", "--no-request-log",
    ], {stdio: ["ignore", "ignore", "inherit"]});
    for (let i = 0; i < 300 && !existsSync(portFile); i++) await delay(20);
    for (let i = 0; i < 100; i++) {
      const text = existsSync(portFile) ? readFileSync(portFile, "utf8").trim() : "";
      if (text && existsSync(tokenFile)) {
        this.url = "http://127.0.0.1:" + text;
        this.token = readFileSync(tokenFile, "utf8").trim();
        this.publicKey = readFileSync(join(this.data, "signing.pub"), "utf8").trim();
        return;
      }
      await delay(20);
    }
    throw new Error("licentiad did not start");
  }

  async stop() {
    if (this.proc && this.proc.exitCode === null) {
      const exited = new Promise(r => this.proc.once("exit", r));
      this.proc.kill("SIGTERM");
      await exited;
    }
    if (this.root) rmSync(this.root, {recursive: true, force: true});
  }

  // Runs `licentia ARGS` as the device whose state lives in `device`
  // (a name); resolves to {code, stdout, stderr}, whatever the exit code.
  cli(device, ...args) {
    const env = {
      ...process.env,
      LICENTIA_SERVER: this.url,
      LICENTIA_ADMIN_TOKEN: this.token,
      LICENTIA_PRODUCT: "photo",
      LICENTIA_APP_VERSION: "22.1",
      LICENTIA_STATE_DIR: join(this.root, "device-" + device),
      LICENTIA_PUBLIC_KEY: this.publicKey,
      LICENTIA_FINGERPRINT: "fingerprint-of-" + device,
    };
    return new Promise(resolve => {
      execFile(LICENTIA, args, {env}, (err, stdout, stderr) => {
        resolve({code: err ? err.code : 0, stdout, stderr});
      });
    });
  }

  async admin(method, path, body) {
    const res = await fetch(this.url + path, {
      method,
      headers: {"Authorization": "Bearer " + this.token,
                "Content-Type": "application/json"},
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await res.json();
    if (!res.ok) throw new Error(path + ": " + JSON.stringify(data));
    return data;
  }

  async issue(terms) {
    const {codes} = await this.admin("POST", "/v1/admin/codes", {count: 1, ...terms});
    return codes[0];
  }

  advanceDays(days) {
    return this.admin("POST", "/v1/admin/test/clock", {advance_days: days});
  }
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in CI containers: chromium's sandbox needs user namespaces.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}
