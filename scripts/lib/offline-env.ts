import { resolve } from "node:path";

/**
 * Environment for every wrangler run from these scripts: no telemetry, no network look-ups, and
 * wrangler's config kept inside the repo instead of the home folder.
 */
export function offlineEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    DO_NOT_TRACK: "1",
    XDG_CONFIG_HOME: resolve(".config"),
  };
}

/** Applies the same settings to this process (for wrangler's programmatic API). */
export function goOffline(): void {
  Object.assign(process.env, offlineEnv());
}
