import type { Db } from "../db/client.ts";

/**
 * The model families the router scores with: a model uploaded under any other name would be stored and
 * then never used, so the registry refuses it. Today that is the one family in `MODEL_NAME`; `db` is
 * here so per-team families (read from D1) can join it without changing callers.
 */
export async function servedModelFamilies(env: Pick<Env, "MODEL_NAME">, _db?: Db): Promise<string[]> {
  return [env.MODEL_NAME];
}
