import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, postLead, type ErrorJson } from "./helpers.ts";

async function expectError(res: Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/application\/json/);
  const body = (await res.json()) as ErrorJson;
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.requestId).toMatch(/\S+/);
  return body;
}

async function leadCount(): Promise<number> {
  return (await env.DB.prepare("SELECT count(*) AS n FROM leads").first<{ n: number }>())!.n;
}

describe("bad input", () => {
  it("answers 400 invalid_json to malformed JSON and stores nothing", async () => {
    await expectError(await postLead("{\"email\": "), 400, "invalid_json");
    expect(await leadCount()).toBe(0);
  });

  it("answers 422 naming the field when a type is wrong", async () => {
    const body = await expectError(await postLead({ email: "a@b.example", employees: "lots" }), 422, "validation_failed");
    expect(body.error.message).toContain("employees");
    expect(await leadCount()).toBe(0);
  });

  it("answers 422 when the required email is missing or invalid", async () => {
    expect((await expectError(await postLead({ company: "x" }), 422, "validation_failed")).error.message).toContain("email");
    await expectError(await postLead({ email: "not-an-email" }), 422, "validation_failed");
  });

  it("answers 422 to a JSON body that is not an object", async () => {
    await expectError(await postLead("[1,2,3]"), 422, "validation_failed");
    await expectError(await postLead("null"), 422, "validation_failed");
  });

  it("answers 413 to a body over the cap, even without a content-length", async () => {
    const big = JSON.stringify({ email: "a@b.example", message: "x".repeat(40_000) });
    await expectError(await postLead(big), 413, "payload_too_large");
    const stream = new Blob([big]).stream();
    await expectError(
      await call("/v1/leads", { method: "POST", headers: { "content-type": "application/json" }, body: stream, duplex: "half" } as RequestInit),
      413,
      "payload_too_large",
    );
    expect(await leadCount()).toBe(0);
  });

  it("answers 415 to a content type it does not take", async () => {
    await expectError(await call("/v1/leads", { method: "POST", headers: { "content-type": "text/plain" }, body: "hi" }), 415, "unsupported_media_type");
  });

  it("answers 404 to an unknown route", async () => {
    await expectError(await call("/v1/nothing-here"), 404, "not_found");
  });

  it("answers 405 to a wrong method on a known route", async () => {
    await expectError(await call("/v1/leads", { method: "GET" }), 405, "method_not_allowed");
    await expectError(await call("/v1/assignments", { method: "DELETE" }), 405, "method_not_allowed");
  });

  it("answers 422 to a bad feed cursor or limit", async () => {
    const headers = { authorization: "Bearer lr_test_crm_demo_team" };
    await expectError(await call("/v1/assignments?cursor=abc", { headers }), 422, "validation_failed");
    await expectError(await call("/v1/assignments?limit=100000", { headers }), 422, "validation_failed");
  });

  it("answers 401 without a token and 401 with an unknown one", async () => {
    await expectError(await call("/v1/assignments"), 401, "unauthorized");
    await expectError(await call("/v1/assignments", { headers: { authorization: "Bearer nope" } }), 401, "unauthorized");
  });
});
