/**
 * A vitest reporter for `npm run faults`: one table row per test, its name split at "→" into the fault
 * and the outcome the test asserts, then whether the assertion held.
 */
import type { Reporter, TestModule } from "vitest/node";

export default class TableReporter implements Reporter {
  onTestRunEnd(modules: readonly TestModule[]): void {
    const rows: string[] = [];
    let failed = 0;
    for (const mod of modules) {
      for (const test of mod.children.allTests()) {
        const [fault = "", ...rest] = test.name.split("→");
        const expected = rest.join("→").trim();
        const state = test.result().state;
        if (state !== "passed") failed++;
        rows.push(`| ${fault.trim()} | ${expected} | ${state === "passed" ? "held" : `**${state.toUpperCase()}**`} |`);
        for (const error of test.result().errors ?? []) rows.push(`|  | ${error.message.split("\n")[0]} | |`);
      }
    }
    console.log(`\n| fault injected | expected outcome (asserted) | result |\n|---|---|---|\n${rows.join("\n")}\n`);
    console.log(`${rows.length - failed} held, ${failed} failed`);
  }
}
