/**
 * Where the browser tests find Chromium, the way browser tooling looks for it: `CHROME_PATH` first, then
 * the usual install locations. Nothing is installed from here: without a browser the browser tests are
 * skipped (and say how to get one); `.ci/run` installs Debian's chromium before the tests.
 */
import { existsSync } from "node:fs";

const USUAL_PLACES = [
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/usr/bin/google-chrome-stable",
  "/snap/bin/chromium",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];

/** The Chromium to drive, or null when this machine has none. */
export function findChromium(chromePath: string | undefined = process.env.CHROME_PATH, exists: (path: string) => boolean = existsSync): string | null {
  const configured = chromePath?.trim();
  if (configured) return exists(configured) ? configured : null;
  return USUAL_PLACES.find((p) => exists(p)) ?? null;
}

export const HOW_TO_GET_CHROMIUM =
  "no Chromium found (CHROME_PATH, /usr/bin/chromium, /usr/bin/chromium-browser, /usr/bin/google-chrome): the browser test is skipped. Install one (Debian/Ubuntu: `sudo apt-get install chromium`) or point CHROME_PATH at it.";
