/**
 * Secrets: set with `wrangler secret put <NAME> [--env <name>]` on a deployed router, or in `.dev.vars`
 * locally. They are not in wrangler.toml, so `wrangler types` (run with an empty env file, so a local
 * `.dev.vars` never changes the committed types) leaves them out; they are declared here instead.
 */
declare namespace Cloudflare {
  interface Env {
    /** Creates the first admin token and nothing else; refused once an active admin token exists. */
    BOOTSTRAP_TOKEN?: string;
  }
}
interface Env {
  BOOTSTRAP_TOKEN?: string;
}
