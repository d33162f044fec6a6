import { ApiError } from "./errors.ts";

/** Header an admin sends to say why, on changes whose body has no `reason` field (reps, tokens, uploads). */
export const AUDIT_REASON_HEADER = "x-audit-reason";

/** The `X-Audit-Reason` header, trimmed; null when absent; 422 when empty or over 500 characters. */
export function auditReason(req: { header(name: string): string | undefined }): string | null {
  const raw = req.header(AUDIT_REASON_HEADER);
  if (raw === undefined) return null;
  const reason = raw.trim();
  if (reason.length === 0 || reason.length > 500) throw new ApiError("validation_failed", `${AUDIT_REASON_HEADER}: give 1 to 500 characters`);
  return reason;
}
