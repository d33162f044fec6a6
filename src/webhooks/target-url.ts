/** Why a webhook URL is refused, or null when it may be used. Pure: the caller says whether this is local dev. */
export function targetUrlProblem(raw: string, allowLoopback: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a valid absolute URL";
  }
  if (url.username || url.password) return "credentials in the URL would be shown in every listing; put them in the receiver's path or query";
  const loopback = isLoopback(url.hostname);
  if (url.protocol === "http:") {
    if (allowLoopback && loopback) return null;
    return allowLoopback ? "http is allowed for loopback hosts only; use https" : "use https (http is allowed only for loopback hosts in local dev)";
  }
  if (url.protocol !== "https:") return "use https";
  if (loopback && !allowLoopback) return "loopback hosts are allowed only in local dev";
  if (!loopback && isPrivate(url.hostname)) return "private network addresses cannot be reached from Cloudflare's network";
  return null;
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function isPrivate(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return (
    /^(10|0)\.\d+\.\d+\.\d+$/.test(h) ||
    /^192\.168\.\d+\.\d+$/.test(h) ||
    /^172\.(1[6-9]|2\d|3[01])\.\d+\.\d+$/.test(h) ||
    /^169\.254\.\d+\.\d+$/.test(h) ||
    /^f[cd][0-9a-f]{2}:/.test(h) ||
    /^fe80:/.test(h)
  );
}
