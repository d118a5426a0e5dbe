/**
 * Opens a report.html in headless Chromium with no network and saves a screenshot, to
 * check by eye that the plots render. Not part of `npm test` (Chromium is optional).
 *
 *   npm run report:screenshot -- [<output-dir>] [<png>]
 *
 * With no output folder it first runs tabtune --yes on test/fixtures/penguins.csv into a
 * temporary folder. Needs `chromium` on PATH (Debian: apt-get install chromium).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: "inherit", env: { ...process.env, CI: "1" } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status ?? r.signal}`);
}

const scratch = mkdtempSync(join(tmpdir(), "tabtune-shot-"));
let output = process.argv[2];
if (!output) {
  output = join(scratch, "penguins");
  run(process.execPath, ["--no-node-snapshot", "--import", "tsx", "src/cli.ts", "--csv", "test/fixtures/penguins.csv", "--output", output, "--yes"]);
}
const html = resolve(output, "report.html");
if (!existsSync(html)) throw new Error(`${html} does not exist; run tabtune to the end first`);
const png = resolve(process.argv[3] ?? join(scratch, "report.png"));
const browser = ["chromium", "chromium-browser", "google-chrome"].find((b) => spawnSync("which", [b]).status === 0);
if (!browser) throw new Error("no chromium on PATH (Debian: apt-get install -y chromium)");
run(browser, [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  // Any request off the machine fails: the report must not need one.
  "--proxy-server=http://127.0.0.1:9",
  "--proxy-bypass-list=<-loopback>",
  `--user-data-dir=${join(scratch, "profile")}`,
  `--screenshot=${png}`,
  "--window-size=1280,8000",
  pathToFileURL(html).href,
]);
if (!existsSync(png) || statSync(png).size === 0) throw new Error(`no screenshot at ${png}`);
process.stdout.write(`screenshot of ${html}\n  ${png} (${statSync(png).size} bytes)\n`);
