import { describe, expect, it } from "vitest";
import { call } from "./helpers.ts";

describe("dashboard page", () => {
  it("serves the HTML shell, its script and Chart.js from the Worker itself", async () => {
    const page = await call("/dashboard");
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<script src="/dashboard/chart.umd.js"></script>');
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    const chart = await call("/dashboard/chart.umd.js");
    expect(chart.headers.get("content-type")).toMatch(/javascript/);
    const source = await chart.text();
    expect(source.length).toBeGreaterThan(100_000);
    expect(source).toMatch(/Chart\.js v4\.6\.1/);
    const script = await (await call("/dashboard/dashboard.js")).text();
    expect(script).toContain("/v1/admin/reports");
    expect(script).toContain("/v1/reports");
    expect(html).toContain('id="team"');
    expect(script).not.toContain("innerHTML");
  });
});
