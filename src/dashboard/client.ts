/**
 * The dashboard's browser script, served as /dashboard/dashboard.js. Plain ES2020 without imports;
 * data goes into the page through textContent only (lead fields and reasons are untrusted).
 * Every canvas gets `data-points`: how many data points its chart drew (the browser test reads it).
 */
export const DASHBOARD_SCRIPT = String.raw`"use strict";
(() => {
  const KEY = "lead-router-admin-token";
  const charts = {};
  const $ = (id) => document.getElementById(id);
  const fmt = (v, d = 3) => (v === null || v === undefined ? "—" : typeof v === "number" ? v.toFixed(d) : String(v));
  const sum = (xs) => xs.reduce((s, v) => s + v, 0);

  async function api(path) {
    const res = await fetch(path, { headers: { authorization: "Bearer " + sessionStorage.getItem(KEY) } });
    const body = await res.json();
    if (!res.ok) throw Object.assign(new Error(body && body.error ? body.error.message : "HTTP " + res.status), { status: res.status });
    return body;
  }

  // An admin token reads /v1/admin/reports and picks a team; a team-bound token reads its own team's /v1/reports.
  let base = null;
  async function pickBase() {
    const select = $("team");
    try {
      const { data } = await api("/v1/admin/teams");
      const chosen = select.value;
      select.replaceChildren(new Option("all teams", ""), ...data.map((t) => new Option(t.name + " (" + t.id + ")", t.id)));
      select.value = data.some((t) => t.id === chosen) ? chosen : "";
      select.disabled = false;
      base = "/v1/admin/reports";
    } catch (err) {
      if (err.status !== 403) throw err;
      select.replaceChildren(new Option("own team", ""));
      select.disabled = true;
      base = "/v1/reports";
    }
  }

  function draw(id, config, points) {
    if (charts[id]) charts[id].destroy();
    const canvas = $(id);
    config.options = Object.assign({ animation: false, responsive: true, maintainAspectRatio: false }, config.options || {});
    charts[id] = new Chart(canvas, config);
    canvas.dataset.points = String(points);
  }

  function rows(tableId, items, cells) {
    const body = $(tableId).querySelector("tbody");
    body.replaceChildren();
    for (const item of items) {
      const tr = document.createElement("tr");
      for (const cell of cells(item)) {
        const td = document.createElement("td");
        if (cell && typeof cell === "object") {
          td.textContent = cell.text;
          td.className = cell.className || "";
        } else td.textContent = cell === null || cell === undefined ? "—" : String(cell);
        tr.append(td);
      }
      body.append(tr);
    }
  }

  function routing(r) {
    const h = r.scoreHistogram;
    draw("chart-score", { type: "bar", data: { labels: h.counts.map((_, i) => h.edges[i].toFixed(2)), datasets: [{ label: "leads by probability", data: h.counts, backgroundColor: "#3d6fb6" }] } }, sum(h.counts));
    const tiers = Object.keys(r.byTier);
    draw("chart-tiers", { type: "doughnut", data: { labels: tiers, datasets: [{ data: tiers.map((t) => r.byTier[t]), backgroundColor: ["#f6821f", "#3d6fb6", "#8fb339", "#b0b7c3", "#7a4fb5"] }] } }, tiers.length ? sum(Object.values(r.byTier)) : 0);
    const reps = Object.keys(r.byRep);
    draw("chart-reps", { type: "bar", data: { labels: reps, datasets: [{ label: "current assignments", data: reps.map((k) => r.byRep[k]), backgroundColor: "#8fb339" }] }, options: { indexAxis: "y" } }, sum(Object.values(r.byRep)));
    const load = r.repLoad;
    draw("chart-load", { type: "bar", data: { labels: load.map((l) => l.name), datasets: [
      { label: "open", data: load.map((l) => l.open), backgroundColor: "#f6821f" },
      { label: "held", data: load.map((l) => l.held), backgroundColor: "#ffc48a" },
      { label: "max open", data: load.map((l) => l.maxOpen), backgroundColor: "#b0b7c3" },
    ] } }, load.length);
    // A team routing on rules alone by choice is the first thing an operator should see.
    $("rules-only-summary").textContent = r.rulesOnly.length ? r.rulesOnly.length + " team(s) routing on rules only, no model" : "Every team routes with the model (no rules-only switch on).";
    $("rules-only-summary").className = r.rulesOnly.length ? "level-warn" : "level-ok";
    rows("rules-only", r.rulesOnly, (s) => [s.teamId, s.setAt, s.setBy, s.reason]);
    rows("shares", r.shares, (s) => [s.teamId, s.role, s.repId, s.weight, s.assigned, fmt(s.share * 100, 1) + "%", fmt(s.weightShare * 100, 1) + "%"]);
    rows("models", r.models.versions, (v) => [v.version, v.status, v.createdAt, v.activatedAt]);
    rows("model-events", r.models.events.slice().reverse(), (e) => [e.at, e.action, e.version, e.actor, e.reason]);
    rows("recent", r.recent, (d) => [d.at, d.leadId, d.outcome, d.tier, d.repId, fmt(d.probability), d.lineage.model || "rules", d.lineage.policyVersion, d.reason + (d.fallbackReason ? " [" + d.fallbackReason + "]" : "")]);
  }

  function drift(d) {
    const h = d.history;
    const worst = h.map((x) => Math.max(0, ...Object.values(x.result.features || {}).map((f) => f.psi)));
    const alert = h.length ? (h[h.length - 1].result.thresholds || { alert: 0.25 }).alert : 0.25;
    draw("chart-drift", { type: "line", data: { labels: h.map((x) => x.at.slice(5, 16).replace("T", " ")), datasets: [
      { label: "score PSI", data: h.map((x) => (x.result.score ? x.result.score.psi : null)), borderColor: "#3d6fb6" },
      { label: "worst feature PSI", data: worst, borderColor: "#f6821f" },
      { label: "alert threshold", data: h.map(() => alert), borderColor: "#b00020", borderDash: [4, 4], pointRadius: 0 },
    ] } }, h.length);
    const latest = d.latest;
    const el = $("drift-latest");
    el.textContent = latest ? "Latest: " + latest.level + " (" + latest.n + " leads, model " + latest.modelVersion + ")" : "No drift check yet.";
    el.className = latest ? "level-" + latest.level : "";
    const feats = latest ? Object.entries(latest.result.features || {}).sort((a, b) => b[1].psi - a[1].psi).slice(0, 15) : [];
    draw("chart-drift-features", { type: "bar", data: { labels: feats.map((f) => f[0]), datasets: [{ label: "PSI", data: feats.map((f) => f[1].psi), backgroundColor: feats.map((f) => (f[1].level === "alert" ? "#b00020" : f[1].level === "warn" ? "#f6a01f" : "#8fb339")) }] }, options: { indexAxis: "y" } }, feats.length);
  }

  function calibration(c) {
    const cur = c.current;
    const deciles = cur ? cur.deciles : [];
    draw("chart-calibration", { type: "scatter", data: { datasets: [
      { label: "observed vs predicted", data: deciles.map((d) => ({ x: d.meanPredicted, y: d.observedRate })), showLine: true, borderColor: "#3d6fb6", backgroundColor: "#3d6fb6" },
      { label: "perfect calibration", data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], showLine: true, borderColor: "#b0b7c3", borderDash: [4, 4], pointRadius: 0 },
    ] }, options: { scales: { x: { min: 0, max: 1, title: { display: true, text: "predicted" } }, y: { min: 0, max: 1, title: { display: true, text: "observed" } } } } }, deciles.length);
    $("calibration-summary").textContent = cur ? cur.n + " leads with outcomes · Brier " + fmt(cur.brier) + " · ECE " + fmt(cur.ece) : "No outcomes yet.";
    const h = c.history.filter((x) => x.brier !== null);
    draw("chart-calibration-history", { type: "line", data: { labels: h.map((x) => x.at.slice(5, 16).replace("T", " ")), datasets: [
      { label: "Brier", data: h.map((x) => x.brier), borderColor: "#3d6fb6" },
      { label: "ECE", data: h.map((x) => x.ece), borderColor: "#f6821f" },
    ] } }, h.length);
  }

  function ops(o) {
    const cur = o.current;
    const stages = Object.keys(cur.latency);
    draw("chart-latency", { type: "bar", data: { labels: stages, datasets: ["p50", "p90", "p99"].map((q, i) => ({ label: q, data: stages.map((s) => cur.latency[s][q]), backgroundColor: ["#8fb339", "#f6a01f", "#b00020"][i] })) } }, stages.length ? sum(stages.map((s) => cur.latency[s].n)) : 0);
    $("ops-summary").textContent = cur.decisions + " decisions · fallback " + fmt(cur.fallbackRate * 100, 1) + "% · errors " + fmt(cur.errorRate * 100, 1) + "% · queue depth " + cur.queueDepth + " · SLA breaches " + cur.slaBreaches;
  }

  function fairness(f) {
    const out = [];
    for (const [field, segs] of Object.entries(f.segments)) for (const s of segs) out.push([field, s]);
    rows("fairness", out, ([field, s]) => [field, s.value, s.n, fmt(s.aeRate), { text: fmt(s.disparateImpact, 2) + (s.lowSample ? " (few)" : ""), className: s.disparateImpact !== null && s.disparateImpact < 0.8 && !s.lowSample ? "level-warn" : "" }, fmt(s.meanProbability), fmt(s.observedRate)]);
  }

  function webhooks(w) {
    rows("webhooks", w.data, (h) => [h.id, h.teamId, h.url, h.format, h.enabled ? "yes" : "off", h.delivered, h.pending,
      { text: String(h.dead), className: h.dead > 0 ? "level-alert" : "" },
      { text: h.successRate === null ? "—" : fmt(h.successRate * 100, 1) + "%", className: h.successRate !== null && h.successRate < 0.95 ? "level-warn" : h.successRate === null ? "" : "level-ok" },
      fmt(h.attemptsPerDelivery, 2), h.lastDeliveredAt, h.lastError ? h.lastError.at + " " + h.lastError.message : null]);
  }

  async function load() {
    $("status").textContent = "Loading…";
    try {
      if (base === null) await pickBase();
      const team = $("team").value;
      const t = team ? "team=" + encodeURIComponent(team) : "";
      const q = "?days=" + encodeURIComponent($("days").value) + (t ? "&" + t : "");
      // Webhook health is an admin report; a team-bound token's dashboard shows none.
      const health = base === "/v1/admin/reports" ? api("/v1/admin/webhooks/health").then((h) => ({ data: h.data.filter((x) => !team || x.teamId === team) })) : Promise.resolve({ data: [] });
      const [r, d, c, o, f, w] = await Promise.all([
        api(base + "/routing" + q), api(base + "/drift" + (t ? "?" + t : "")), api(base + "/calibration" + q),
        api(base + "/ops" + q), api(base + "/fairness" + q), health,
      ]);
      routing(r); drift(d); calibration(c); ops(o); fairness(f); webhooks(w);
      $("status").textContent = "Updated " + new Date().toLocaleTimeString() + " · " + r.decisions + " decisions";
      document.body.dataset.loaded = "true";
    } catch (err) {
      $("status").textContent = "Could not load: " + err.message;
      document.body.dataset.loaded = "error";
    }
  }

  $("auth").addEventListener("submit", (e) => {
    e.preventDefault();
    const t = $("token").value.trim();
    if (t) {
      sessionStorage.setItem(KEY, t);
      base = null;
    }
    $("token").value = "";
    load();
  });
  if (sessionStorage.getItem(KEY)) load();
})();
`;
