import { html } from "hono/html";

/**
 * The dashboard's HTML shell. It holds no data: the script asks for a token (kept in this tab's
 * sessionStorage only), fetches the JSON reports with it — an admin's under /v1/admin/reports, with a team
 * picker; a team-bound token's under /v1/reports, its own team only — and draws them with Chart.js, which
 * the Worker itself serves from /dashboard/chart.umd.js (no CDN).
 */
export const dashboardPage = () => html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Lead router — governance dashboard</title>
<style>
  body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2433; background: #f4f6f9; }
  header { display: flex; gap: 1rem; align-items: center; padding: .8rem 1.2rem; background: #1d2433; color: #fff; flex-wrap: wrap; }
  header h1 { font-size: 1.1rem; margin: 0 1rem 0 0; }
  header input { padding: .35rem; border-radius: 4px; border: 0; min-width: 18rem; }
  header button, header select { padding: .35rem .8rem; border-radius: 4px; border: 0; }
  header button { background: #f6821f; color: #fff; font-weight: 600; }
  #status { font-size: .9rem; }
  main { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 1rem; padding: 1rem; }
  section { background: #fff; border-radius: 8px; padding: .8rem 1rem; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  section.wide { grid-column: 1 / -1; }
  section h2 { font-size: 1rem; margin: 0 0 .5rem; }
  .chart { position: relative; height: 240px; }
  table { border-collapse: collapse; width: 100%; font-size: .85rem; }
  th, td { text-align: left; padding: .25rem .4rem; border-bottom: 1px solid #e3e7ee; vertical-align: top; }
  .level-alert { color: #b00020; font-weight: 700; } .level-warn { color: #a15c00; font-weight: 700; } .level-ok { color: #137333; }
  .scroll { max-height: 320px; overflow: auto; }
</style></head><body>
<header>
  <h1>Lead router governance</h1>
  <form id="auth"><input id="token" type="password" placeholder="Admin or team token" autocomplete="off" aria-label="Token">
  <select id="team" aria-label="Team"><option value="">all teams</option></select>
  <select id="days" aria-label="Window"><option value="1">last day</option><option value="7" selected>last 7 days</option><option value="30">last 30 days</option></select>
  <button type="submit">Load</button></form>
  <span id="status" role="status">Enter an admin token (or a team's token).</span>
</header>
<main>
  <section class="wide" id="rules-only-section"><h2>Rules-only switches</h2><p id="rules-only-summary"></p>
    <table id="rules-only"><thead><tr><th>team</th><th>since</th><th>by</th><th>reason</th></tr></thead><tbody></tbody></table></section>
  <section><h2>Score distribution</h2><div class="chart"><canvas id="chart-score" data-chart></canvas></div></section>
  <section><h2>Routing by tier</h2><div class="chart"><canvas id="chart-tiers" data-chart></canvas></div></section>
  <section><h2>Routing by rep</h2><div class="chart"><canvas id="chart-reps" data-chart></canvas></div></section>
  <section><h2>Shares against weights</h2><div class="scroll"><table id="shares"><thead><tr><th>team</th><th>pool</th><th>rep</th><th>weight</th><th>assigned</th><th>share</th><th>weight share</th></tr></thead><tbody></tbody></table></div></section>
  <section><h2>Rep load now against capacity</h2><div class="chart"><canvas id="chart-load" data-chart></canvas></div></section>
  <section><h2>Drift over time (PSI)</h2><p id="drift-latest"></p><div class="chart"><canvas id="chart-drift" data-chart></canvas></div></section>
  <section><h2>Drift by feature (latest check)</h2><div class="chart"><canvas id="chart-drift-features" data-chart></canvas></div></section>
  <section><h2>Calibration by decile</h2><p id="calibration-summary"></p><div class="chart"><canvas id="chart-calibration" data-chart></canvas></div></section>
  <section><h2>Brier and ECE over time</h2><div class="chart"><canvas id="chart-calibration-history" data-chart></canvas></div></section>
  <section><h2>Latency per stage (ms)</h2><p id="ops-summary"></p><div class="chart"><canvas id="chart-latency" data-chart></canvas></div></section>
  <section><h2>Model versions</h2><div class="scroll"><table id="models"><thead><tr><th>version</th><th>status</th><th>created</th><th>activated</th></tr></thead><tbody></tbody></table>
    <h2>Activations and rollbacks</h2><table id="model-events"><thead><tr><th>at</th><th>change</th><th>version</th><th>by</th><th>reason</th></tr></thead><tbody></tbody></table></div></section>
  <section class="wide"><h2>Fairness: AE routing by segment</h2><div class="scroll"><table id="fairness"><thead><tr><th>field</th><th>segment</th><th>leads</th><th>AE rate</th><th>disparate impact</th><th>mean p</th><th>observed</th></tr></thead><tbody></tbody></table></div></section>
  <section class="wide"><h2>Webhook delivery health (last 24 h)</h2><div class="scroll"><table id="webhooks"><thead><tr><th>subscription</th><th>team</th><th>url</th><th>shape</th><th>on</th><th>delivered</th><th>in flight</th><th>dead</th><th>success</th><th>attempts / delivery</th><th>last delivered</th><th>last error</th></tr></thead><tbody></tbody></table></div></section>
  <section class="wide"><h2>Recent decisions</h2><div class="scroll"><table id="recent"><thead><tr><th>at</th><th>lead</th><th>outcome</th><th>tier</th><th>rep</th><th>p</th><th>model</th><th>policy</th><th>reason</th></tr></thead><tbody></tbody></table></div></section>
</main>
<script src="/dashboard/chart.umd.js"></script>
<script src="/dashboard/dashboard.js"></script>
</body></html>`;
