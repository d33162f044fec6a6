/**
 * The dashboard in a real headless Chromium (found as browser tooling finds it, driven by playwright-core):
 * a bare router on 127.0.0.1 is set up from the demo folder the way `npm start` does it, fed real leads,
 * outcomes and a monitoring run; the test then reads what every chart drew. Skipped without a Chromium.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSetup } from "../../scripts/lib/setup/run.ts";
import { DEFAULT_POLICY } from "../../src/routing/policy.ts";
import { generateLeads } from "../../src/training/synthetic-leads.ts";
import { startBareRouter, type BareRouter } from "../node/bare-router.ts";
import { findChromium, HOW_TO_GET_CHROMIUM } from "./find-chromium.ts";

const CHROMIUM = findChromium();
if (!CHROMIUM) console.warn(HOW_TO_GET_CHROMIUM);
const LEADS = 24;

let ADMIN = "";
let CRM = "";
let router: BareRouter | undefined;
let browser: BrowserContext | undefined;
let base = "";
const dirs: string[] = [];

async function send(path: string, token: string | null, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers }, body: JSON.stringify(body) });
  expect(res.status, `${path}: ${res.status}`).toBeLessThan(300);
  return res.json() as Promise<Record<string, unknown>>;
}

beforeAll(async () => {
  if (!CHROMIUM) return;
  router = await startBareRouter();
  base = router.base;
  const setup = await runSetup({ url: base, token: router.bootstrap, dir: "scripts/setup/demo" });
  expect(setup.problems).toEqual([]);
  ADMIN = setup.adminToken!;
  CRM = setup.crmTokens[0]!.secret;

  // Real traffic: leads through the API, outcomes from the CRM, then a monitoring run (drift checks
  // need at least minSamples leads; 20 is the least a policy may set).
  await send("/v1/policies", ADMIN, { policy: { ...DEFAULT_POLICY, drift: { ...DEFAULT_POLICY.drift, minSamples: 20 } }, reason: "dashboard test" });
  const leads = generateLeads(LEADS, 2024);
  for (const [i, { payload }] of leads.entries()) {
    const res = await send("/v1/leads", null, { ...payload, email: `dash${i}@firm${i}.example` }, { "x-site-key": "pk_demo" });
    const leadId = (res.lead as { id: string }).id;
    if (i % 2 === 0) await send("/v1/outcomes", CRM, { id: `o${i}`, leadId, type: i % 4 === 0 ? "opportunity_created" : "lost", occurredAt: new Date().toISOString() });
  }
  await send("/v1/admin/monitoring/run", ADMIN, {});
  // A subscription, switched off so nothing is sent, to show in the webhook health table.
  await send("/v1/admin/webhooks", ADMIN, { teamId: "demo", url: "https://hooks.example.com/crm", events: ["decision.assigned"], enabled: false });

  const profile = mkdtempSync(join(tmpdir(), "lr-dashboard-chromium-"));
  dirs.push(profile);
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
});

afterAll(async () => {
  await browser?.close();
  await router?.dispose();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!CHROMIUM)("dashboard in headless Chromium", () => {
  it("asks for a token, then draws every chart with data and fills the tables", async () => {
    const page = await browser!.newPage();
    const offsite: string[] = [];
    page.on("request", (r) => {
      if (!r.url().startsWith(base)) offsite.push(r.url());
    });
    await page.goto(`${base}/dashboard`);
    expect(await page.textContent("#status")).toMatch(/admin token/i);
    await page.fill("#token", ADMIN);
    await page.click("#auth button");
    await page.waitForSelector("body[data-loaded]");
    expect(await page.getAttribute("body", "data-loaded")).toBe("true");

    // Runs in the page (the test's TypeScript has no DOM types, hence the structural casts).
    type Canvas = { id: string; width: number; height: number; dataset: Record<string, string | undefined>; getContext(kind: "2d"): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } };
    type ChartGlobal = { Chart: { getChart(c: Canvas): { data: { datasets: { data: unknown[] }[] } } | undefined } };
    const charts = await page.$$eval("canvas[data-chart]", (canvases) =>
      canvases.map((c) => {
        const canvas = c as unknown as Canvas;
        const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
        const chart = (globalThis as unknown as ChartGlobal).Chart.getChart(canvas);
        return { id: canvas.id, points: Number(canvas.dataset.points ?? 0), painted, values: chart ? chart.data.datasets.reduce((s, d) => s + d.data.length, 0) : 0 };
      }),
    );
    expect(charts.map((c) => c.id).sort()).toEqual(
      ["chart-calibration", "chart-calibration-history", "chart-drift", "chart-drift-features", "chart-latency", "chart-load", "chart-reps", "chart-score", "chart-tiers"],
    );
    for (const c of charts) {
      expect(c.points, c.id).toBeGreaterThan(0);
      expect(c.values, c.id).toBeGreaterThan(0);
      expect(c.painted, c.id).toBeGreaterThan(500);
    }
    expect(charts.find((c) => c.id === "chart-score")!.points).toBe(LEADS);

    expect(await page.$$eval("#recent tbody tr", (rows) => rows.length)).toBe(LEADS);
    expect(await page.textContent("#models tbody")).toContain("active");
    expect(await page.$$eval("#fairness tbody tr", (rows) => rows.length)).toBeGreaterThan(3);
    expect(await page.textContent("#calibration-summary")).toMatch(/12 leads with outcomes/);
    expect(await page.$$eval("#webhooks tbody tr td", (cells) => cells.map((c) => c.textContent))).toEqual(expect.arrayContaining(["demo", "https://hooks.example.com/crm", "json", "off"]));
    expect(offsite).toEqual([]);
    await page.close();
  });

  it("lets an admin pick a team, and shows a team's token its own team's reports without a picker", async () => {
    const page = await browser!.newPage();
    const asked: string[] = [];
    page.on("request", (r) => asked.push(new URL(r.url()).pathname + new URL(r.url()).search));
    await page.goto(`${base}/dashboard`);
    await page.fill("#token", ADMIN);
    await page.click("#auth button");
    await page.waitForSelector("body[data-loaded]");
    expect(await page.$$eval("#team option", (o) => o.map((x) => (x as unknown as { value: string }).value))).toEqual(["", "demo"]);
    await page.evaluate("document.body.removeAttribute('data-loaded')");
    await page.selectOption("#team", "demo");
    await page.click("#auth button");
    await page.waitForSelector("body[data-loaded]");
    expect(asked.some((p) => p.startsWith("/v1/admin/reports/routing") && p.includes("team=demo"))).toBe(true);
    expect(await page.$$eval("#recent tbody tr", (rows) => rows.length)).toBe(LEADS);
    await page.close();

    const team = await browser!.newPage();
    const teamAsked: string[] = [];
    team.on("request", (r) => teamAsked.push(new URL(r.url()).pathname));
    await team.goto(`${base}/dashboard`);
    await team.fill("#token", CRM);
    await team.click("#auth button");
    await team.waitForSelector("body[data-loaded]");
    expect(await team.getAttribute("body", "data-loaded")).toBe("true");
    expect(await team.$eval("#team", (s) => (s as unknown as { disabled: boolean }).disabled)).toBe(true);
    expect(teamAsked).toContain("/v1/reports/routing");
    expect(teamAsked.filter((p) => p.startsWith("/v1/admin/reports"))).toEqual([]);
    expect(await team.$$eval("#recent tbody tr", (rows) => rows.length)).toBe(LEADS);
    await team.close();
  });

  it("says so when the token is refused, and draws nothing", async () => {
    const page = await browser!.newPage();
    await page.goto(`${base}/dashboard`);
    await page.fill("#token", "lr_wrong");
    await page.click("#auth button");
    await page.waitForSelector("body[data-loaded]");
    expect(await page.getAttribute("body", "data-loaded")).toBe("error");
    expect(await page.textContent("#status")).toMatch(/invalid or revoked/);
    expect(await page.$$eval("canvas[data-points]", (c) => c.length)).toBe(0);
    await page.close();
  });
  it("shows a team's rules-only switch while it is on", async () => {
    const flip = (enabled: boolean) =>
      fetch(`${base}/v1/admin/teams/demo/rules-only`, { method: "PUT", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: JSON.stringify({ enabled, reason: "browser check of the switch" }) });
    expect((await flip(true)).status).toBe(200);
    const page = await browser!.newPage();
    await page.goto(`${base}/dashboard`);
    await page.fill("#token", ADMIN);
    await page.click("#auth button");
    await page.waitForSelector("body[data-loaded]");
    expect(await page.$$eval("#rules-only tbody tr", (rows) => rows.length)).toBe(1);
    expect(await page.textContent("#rules-only tbody")).toContain("browser check of the switch");
    expect(await page.textContent("#rules-only-summary")).toMatch(/1 team\(s\) routing on rules only/);
    await page.close();
    expect((await flip(false)).status).toBe(200);
  });
});
