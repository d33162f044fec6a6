import { readFileSync } from "node:fs";

/**
 * The model family the router in this checkout serves (`MODEL_NAME` in wrangler.toml): the name a trained
 * model needs for the router to use it. Falls back to the shipped default when the file is not there.
 */
export function servedFamily(configPath = "wrangler.toml"): string {
  try {
    return /^\s*MODEL_NAME\s*=\s*"([^"]+)"/m.exec(readFileSync(configPath, "utf8"))?.[1] ?? "lead-conversion";
  } catch {
    return "lead-conversion";
  }
}
