/**
 * The README's first command runs the sources through tsx (`npm start`), not the built
 * dist the other CLI tests spawn: a module that compiles under tsc but not under tsx
 * (a JSON import whose key is a reserved word, say) must fail here, not on a user's machine.
 */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/cli.js";

describe("npm start", () => {
  it("loads every module of the CLI from source and prints the help", () => {
    const result = spawnSync("npm", ["start", "--silent", "--", "--help"], {
      cwd: ROOT,
      env: { ...process.env, CI: "1", NO_COLOR: "1" },
      encoding: "utf8",
      timeout: 120_000,
    });
    expect(result.stderr).not.toMatch(/SyntaxError|Error \[/);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("Usage: tabtune [options]");
  });
});
