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

/** The host without IPv6 brackets, an IPv4-mapped IPv6 address (`::ffff:7f00:1`) as the IPv4 it maps. */
function plainHost(host: string): string {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(h);
  if (!mapped) return h.replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, "$1");
  const [hi, lo] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/** The four octets of a dotted IPv4 address (the URL parser already turned other spellings into one). */
const octets = (h: string): number[] | null => (/^\d+\.\d+\.\d+\.\d+$/.test(h) ? h.split(".").map(Number) : null);

function isLoopback(host: string): boolean {
  const h = plainHost(host);
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || octets(h)?.[0] === 127;
}

/** Addresses no public receiver has: private, link-local, shared (CGNAT), unspecified, multicast and reserved ranges. */
function isPrivate(host: string): boolean {
  const h = plainHost(host);
  const ip = octets(h);
  if (ip) {
    const [a, b] = ip as [number, number];
    return a === 0 || a === 10 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 198 && (b === 18 || b === 19)) || a >= 224;
  }
  return h === "::" || /^f[cd][0-9a-f]{2}:/.test(h) || /^fe[89ab][0-9a-f]:/.test(h) || /^ff[0-9a-f]{2}:/.test(h);
}
