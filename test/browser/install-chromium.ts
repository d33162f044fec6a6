/**
 * Global setup of the browser tests: Debian's chromium drives the dashboard test. On a fresh machine it
 * is installed here from Debian's packages (the only registry this machine reaches besides npm).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const CHROMIUM = "/usr/bin/chromium";

export default function setup(): void {
  if (existsSync(CHROMIUM)) return;
  console.log("installing Debian's chromium for the browser tests…");
  const asRoot = process.getuid?.() === 0 ? [] : ["sudo", "-n"];
  const run = (...args: string[]) => {
    const [command, ...rest] = [...asRoot, ...args];
    spawnSync(command!, rest, { stdio: "inherit", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  };
  run("apt-get", "update", "-qq");
  run("apt-get", "install", "-y", "-qq", "chromium");
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing and could not be installed: apt-get install -y chromium`);
}
