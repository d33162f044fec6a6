import type { RequestIdVariables } from "hono/request-id";
import type { TokenInfo } from "./lib/auth.ts";

/** The hono environment every sub-app shares. */
export type AppEnv = {
  Bindings: Env;
  Variables: RequestIdVariables & { token: TokenInfo };
};
