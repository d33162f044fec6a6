import { AsyncLocalStorage } from "node:async_hooks";

/**
 * The current invocation's `ExecutionContext.waitUntil`, for code deep in a request that wants to finish some
 * work after the answer (a cache refresh) without every caller passing it down. Set once per invocation by
 * the entry (src/index.ts); absent outside one (then callers do the work in line).
 */
const current = new AsyncLocalStorage<(work: Promise<unknown>) => void>();

/** Runs `fn` with `waitUntil` as the invocation's background runner. */
export function withBackground<T>(waitUntil: (work: Promise<unknown>) => void, fn: () => T): T {
  return current.run(waitUntil, fn);
}

/** The running invocation's background runner, if any. */
export function backgroundRunner(): ((work: Promise<unknown>) => void) | undefined {
  return current.getStore();
}
