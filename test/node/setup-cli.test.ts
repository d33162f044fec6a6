/** `npm run setup`'s command line: help, and one-line errors without stack traces. */
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

const setup = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "scripts/setup.ts", ...args], { encoding: "utf8" });

describe("npm run setup", () => {
  it("explains itself with --help", () => {
    const run = setup("--help");
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^usage: npm run setup -- --url <router URL> --token <token> <folder> \[--dry-run\]/);
    expect(run.stdout).toContain("teams.csv, territories.csv, reps.csv, accounts.csv, sites.csv");
  });

  it("refuses missing arguments in one line", () => {
    const run = setup("--url", "http://127.0.0.1:8819", "scripts/setup/demo");
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe("setup: pass --token <admin token or bootstrap secret> (see --help)");
  });

  it("says in one line, without a stack trace, when the router cannot be reached", () => {
    const run = setup("--url", "http://127.0.0.1:8819", "--token", "x", "scripts/setup/demo");
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^setup: cannot reach http:\/\/127\.0\.0\.1:8819: .*ECONNREFUSED/)]);
  });

  it("says in one line when the folder is not there", () => {
    const run = setup("--url", "http://127.0.0.1:8819", "--token", "x", "no/such/folder");
    expect(run.status).toBe(1);
    expect(run.stderr.trim()).toBe("setup: no/such/folder is not a folder");
  });
});
