import type { D1Migration } from "@cloudflare/vitest-plugin";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      TEST_MODEL_B64: string;
      TEST_MANIFEST: string;
      TEST_TIGHT_LIMITER: RateLimit;
    }
  }
}
