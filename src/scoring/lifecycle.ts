export type ModelStatus = "staged" | "shadow" | "active" | "retired";
export type VersionState = { version: string; status: ModelStatus; activatedAt: number | null };
export type StatusChange = { version: string; from: ModelStatus; to: ModelStatus };
export type Plan = { ok: true; changes: StatusChange[] } | { ok: false; message: string };

/**
 * The status changes that move `version` of a model family to `to`. Pure, so the rules are easy to test:
 * - one active and at most one shadow version per family;
 * - activating retires the active version (a shadow being promoted leaves shadow);
 * - a new shadow sends the old one back to staged;
 * - the active version is never retired or demoted directly: activate another or roll back, so the
 *   router always has a model to serve.
 */
export function planTransition(family: readonly VersionState[], version: string, to: ModelStatus): Plan {
  const target = family.find((v) => v.version === version);
  if (!target) return { ok: false, message: `no version ${version}` };
  if (target.status === to) return { ok: false, message: `version ${version} is already ${to}` };
  if (target.status === "active") {
    return { ok: false, message: `version ${version} is active: activate another version or roll back instead` };
  }
  const changes: StatusChange[] = [];
  if (to === "active") {
    const active = family.find((v) => v.status === "active");
    if (active) changes.push({ version: active.version, from: "active", to: "retired" });
  }
  if (to === "shadow") {
    const shadow = family.find((v) => v.status === "shadow");
    if (shadow) changes.push({ version: shadow.version, from: "shadow", to: "staged" });
  }
  changes.push({ version, from: target.status, to });
  return { ok: true, changes };
}

/** Rolls back to the version that was active before the current one. */
export function planRollback(family: readonly VersionState[]): Plan {
  const active = family.find((v) => v.status === "active");
  if (!active) return { ok: false, message: "no version is active" };
  const previous = family
    .filter((v) => v.version !== active.version && v.status !== "active" && v.activatedAt !== null)
    .sort((a, b) => b.activatedAt! - a.activatedAt!)[0];
  if (!previous) return { ok: false, message: "no earlier active version to roll back to" };
  return planTransition(family, previous.version, "active");
}
