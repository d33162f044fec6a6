import { Hono } from "hono";
import { html } from "hono/html";
import type { AppEnv } from "../app-env.ts";

const layout = (title: string, body: ReturnType<typeof html>) => html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 38rem; margin: 2rem auto; padding: 0 1rem; color: #1d2433; }
  label { display: block; margin: .6rem 0 .2rem; font-weight: 600; }
  input, select { width: 100%; padding: .45rem; border: 1px solid #b8c0cc; border-radius: 6px; box-sizing: border-box; }
  input[type=checkbox] { width: auto; }
  button { margin-top: 1rem; padding: .6rem 1.2rem; border: 0; border-radius: 6px; background: #f6821f; color: #fff; font-weight: 600; }
  .hp { position: absolute; left: -10000px; }
</style></head><body>${body}</body></html>`;

/** The demo site key (scripts/setup/demo/sites.csv): its allowed origins are the router's own. */
const DEMO_SITE_KEY = "pk_demo";

/** The demo page: a plain HTML form (no JavaScript needed) posting straight to the router. */
export const pages = new Hono<AppEnv>()
  .get("/", (c) =>
    c.html(
      layout(
        "Talk to sales — lead router demo",
        html`<h1>Talk to sales</h1>
<p>This form posts to <code>POST /v1/leads</code> as a real website would: site key <code>${DEMO_SITE_KEY}</code>,
a honeypot field, and a redirect back to a thank-you page.</p>
<form method="post" action="/v1/leads">
  <input type="hidden" name="site_key" value="${DEMO_SITE_KEY}">
  <div class="hp" aria-hidden="true"><label>Leave this empty <input name="_hp" tabindex="-1" autocomplete="off"></label></div>
  <label for="email">Work email</label><input id="email" name="email" type="email" required>
  <label for="name">Name</label><input id="name" name="name">
  <label for="company">Company</label><input id="company" name="company">
  <label for="employees">Employees</label><input id="employees" name="employees" type="number" min="0">
  <label for="job_title">Job title</label><input id="job_title" name="job_title">
  <label for="industry">Industry</label>
  <select id="industry" name="industry"><option>software</option><option>finance</option><option>healthcare</option><option>manufacturing</option><option>retail</option><option>education</option><option>other</option></select>
  <label for="country">Country (ISO code)</label><input id="country" name="country" maxlength="2" placeholder="US">
  <input type="hidden" name="source" value="organic">
  <label><input type="checkbox" name="demo_requested" value="true"> I would like a demo</label>
  <button type="submit">Send</button>
</form>`,
      ),
    ),
  )
  .get("/thanks", (c) =>
    c.html(layout("Thank you", html`<h1>Thank you!</h1><p>We got your request (reference <code>${c.req.query("lead") ?? "—"}</code>). Someone will be in touch shortly.</p><p><a href="/">Back</a></p>`)),
  );
