import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, HOT_LEAD, postLead, uniqueEmail, type ErrorJson } from "./helpers.ts";
import { modelVariant } from "./governance-helpers.ts";
import { TOKENS, defaultModel } from "./setup.ts";

const admin = { authorization: `Bearer ${TOKENS.admin}` };

async function sha256(bytes: Uint8Array): Promise<string> {
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
}


function upload(bytes: Uint8Array, manifest: unknown, headers: Record<string, string> = admin) {
  const form = new FormData();
  form.set("model", new Blob([bytes]), "model.onnx");
  form.set("manifest", new Blob([typeof manifest === "string" ? manifest : JSON.stringify(manifest)]), "manifest.json");
  return call("/v1/models", { method: "POST", headers, body: form });
}

function setStatus(version: string, to: string, reason = "test") {
  return call(`/v1/models/lead-conversion/${version}/status`, { method: "POST", headers: { ...admin, "content-type": "application/json" }, body: JSON.stringify({ to, reason }) });
}

type LeadResponse = { decision: { id: string; model: { version: string; sha256: string } | null; probability: number; mode: string } };

async function scoredBy(): Promise<LeadResponse["decision"]> {
  return ((await (await postLead({ ...HOT_LEAD, email: uniqueEmail() })).json()) as LeadResponse).decision;
}

describe("model lifecycle", () => {
  it("uploads a valid model as staged, content-addressed in R2, with an audit row", async () => {
    const v = modelVariant("1.1.0", { method: "platt", a: 1, b: 0.5 });
    const res = await upload(v.bytes, v.manifest);
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ version: "1.1.0", status: "staged", sha256: v.manifest.sha256 });
    const stored = await env.MODELS.get("models/lead-conversion/1.1.0/model.onnx");
    expect(await sha256(new Uint8Array(await stored!.arrayBuffer()))).toBe(v.manifest.sha256);
    const audit = await env.DB.prepare("SELECT actor, action FROM audit_log WHERE entity_id = 'lead-conversion@1.1.0'").all();
    expect(audit.results).toEqual([{ actor: "admin", action: "model.upload" }]);
  });

  it("scores a shadow model beside the active one without routing on it", async () => {
    const v = modelVariant("1.1.0", { method: "platt", a: 1, b: 1.5 });
    await upload(v.bytes, v.manifest);
    expect((await setStatus("1.1.0", "shadow")).status).toBe(200);
    const decision = await scoredBy();
    expect(decision.model!.version).toBe(defaultModel().manifest.version);
    const res = await call(`/v1/decisions/${decision.id}`, { headers: admin });
    const { lineage } = (await res.json()) as { lineage: { shadow: { version: string; probability: number } } };
    expect(lineage.shadow.version).toBe("1.1.0");
    expect(lineage.shadow.probability).toBeGreaterThan(decision.probability);
  });

  it("activates a version for new leads and rolls back to the previous one, all audited", async () => {
    const base = defaultModel().manifest.version;
    const v = modelVariant("1.1.0", { method: "platt", a: 1, b: -1 });
    await upload(v.bytes, v.manifest);
    const before = await scoredBy();
    expect((await setStatus("1.1.0", "active", "better calibrated")).status).toBe(200);
    const after = await scoredBy();
    expect(after.model!.version).toBe("1.1.0");
    expect(after.probability).toBeLessThan(before.probability);

    const rollback = await call("/v1/models/lead-conversion/rollback", { method: "POST", headers: { ...admin, "content-type": "application/json" }, body: JSON.stringify({ reason: "conversion dropped" }) });
    expect(rollback.status).toBe(200);
    const back = await scoredBy();
    expect(back.model!.version).toBe(base);
    expect(back.probability).toBeCloseTo(before.probability, 9);

    const audit = await env.DB.prepare("SELECT action, entity_id AS entity, before, after, reason FROM audit_log WHERE action LIKE 'model.%' ORDER BY id").all();
    expect(audit.results.map((r) => [r.action, r.entity, r.reason])).toEqual([
      ["model.upload", "lead-conversion@1.1.0", null],
      ["model.retired", `lead-conversion@${base}`, "better calibrated"],
      ["model.active", "lead-conversion@1.1.0", "better calibrated"],
      ["model.retired", "lead-conversion@1.1.0", "conversion dropped"],
      ["model.active", `lead-conversion@${base}`, "conversion dropped"],
    ]);
  });

  it("refuses to retire the active version", async () => {
    const res = await setStatus(defaultModel().manifest.version, "retired");
    expect(res.status).toBe(409);
    expect((await scoredBy()).mode).toBe("model");
  });

  it("requires an admin token", async () => {
    const v = modelVariant("1.1.0", { method: "none" });
    expect((await upload(v.bytes, v.manifest, { authorization: `Bearer ${TOKENS.crm}` })).status).toBe(403);
    expect((await upload(v.bytes, v.manifest, {})).status).toBe(401);
  });

  describe("refuses bad artifacts with a 4xx while the active model keeps serving", () => {
    const cases: [string, () => Promise<{ bytes: Uint8Array; manifest: unknown }>, number, RegExp][] = [
      ["corrupt bytes", async () => {
        const bytes = new TextEncoder().encode("definitely not an onnx graph");
        return { bytes, manifest: { ...modelVariant("9.0.0", { method: "none" }).manifest, sha256: await sha256(bytes) } };
      }, 422, /onnxruntime cannot load/],
      ["a sha256 mismatch", async () => ({ ...modelVariant("9.0.1", { method: "none" }), manifest: { ...modelVariant("9.0.1", { method: "none" }).manifest, sha256: "0".repeat(64) } }), 422, /sha256/],
      ["a manifest whose width does not match the graph", async () => {
        const v = modelVariant("9.0.2", { method: "none" });
        return { bytes: v.bytes, manifest: { ...v.manifest, input: { ...v.manifest.input, dim: v.manifest.input.dim + 1 } } };
      }, 422, /columns/],
      ["an output name the graph lacks", async () => {
        const v = modelVariant("9.0.3", { method: "none" });
        return { bytes: v.bytes, manifest: { ...v.manifest, output: { ...v.manifest.output, name: "probabilities" } } };
      }, 422, /no output "probabilities"/],
      ["golden vectors the graph does not reproduce", async () => {
        const v = modelVariant("9.0.4", { method: "none" });
        return { bytes: v.bytes, manifest: { ...v.manifest, golden: v.manifest.golden.map((g) => ({ ...g, probability: 1 - g.probability })) } };
      }, 422, /golden vector 0/],
      ["a feature spec that cannot fill the inputs", async () => {
        const v = modelVariant("9.0.5", { method: "none" });
        return { bytes: v.bytes, manifest: { ...v.manifest, features: v.manifest.features.slice(1) } };
      }, 422, /feature spec yields/],
      ["a model whose family the router does not serve", async () => {
        const v = modelVariant("9.0.6", { method: "none" });
        return { bytes: v.bytes, manifest: { ...v.manifest, name: "bank-marketing" } };
      }, 422, /"bank-marketing" is not a model family this router serves \(lead-conversion\)/],
      ["a manifest that is not JSON", async () => ({ bytes: defaultModel().bytes, manifest: "{not json" }), 400, /manifest/],
      ["an existing version", async () => defaultModel(), 409, /exists/],
    ];
    for (const [name, make, status, message] of cases) {
      it(`refuses ${name}`, async () => {
        const { bytes, manifest } = await make();
        const res = await upload(bytes, manifest);
        expect(res.status).toBe(status);
        expect(((await res.json()) as ErrorJson).error.message).toMatch(message);
        const decision = await scoredBy();
        expect(decision).toMatchObject({ mode: "model", model: { version: defaultModel().manifest.version } });
      });
    }
  });

  it("refuses an upload over the size cap", async () => {
    const big = new Uint8Array(Number(env.MAX_MODEL_BYTES) + 1);
    const res = await upload(big, defaultModel().manifest);
    expect(res.status).toBe(413);
  });
});
