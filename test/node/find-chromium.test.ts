import { describe, expect, it } from "vitest";
import { findChromium } from "../browser/find-chromium.ts";

const only = (...paths: string[]) => (p: string) => paths.includes(p);

describe("finding Chromium for the browser test", () => {
  it("takes CHROME_PATH first", () => {
    expect(findChromium("/opt/chrome/chrome", only("/opt/chrome/chrome", "/usr/bin/chromium"))).toBe("/opt/chrome/chrome");
  });

  it("then the usual install locations, in order", () => {
    expect(findChromium(undefined, only("/usr/bin/chromium-browser", "/usr/bin/google-chrome"))).toBe("/usr/bin/chromium-browser");
    expect(findChromium(undefined, only("/usr/bin/google-chrome"))).toBe("/usr/bin/google-chrome");
  });

  it("finds none when there is none, or when CHROME_PATH names a missing file", () => {
    expect(findChromium(undefined, only())).toBeNull();
    expect(findChromium("/nope/chrome", only("/usr/bin/chromium"))).toBeNull();
  });
});
