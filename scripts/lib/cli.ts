/**
 * What every script in the model workflow shares: `--help`, options checked before any work, and errors
 * as one line (`<script>: <file>: row 3, column "age": ... (fix)`) instead of a stack trace.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Prints `message` as one line prefixed with the script's name and exits 1. */
export function failWith(script: string, message: string): never {
  console.error(`${script}: ${message.replace(/\s*\n\s*/g, " ")}`);
  process.exit(1);
}

/**
 * Parses argv strictly: `--help` prints `help` and exits 0; an unknown flag or a missing value ends in a
 * one-line error pointing at `--help`. Uncaught errors later in the script print one line too.
 */
export function parseCli<O extends Options>(script: string, help: string, options: O, allowPositionals = false) {
  const fail = (message: string): never => failWith(script, message);
  process.on("uncaughtException", (err) => fail(err instanceof Error ? err.message : String(err)));
  process.on("unhandledRejection", (err) => fail(err instanceof Error ? err.message : String(err)));
  if (process.argv.slice(2).some((a) => a === "--help" || a === "-h")) {
    console.log(help.trim());
    process.exit(0);
  }
  try {
    return { ...parseArgs({ options, allowPositionals, strict: true }), fail };
  } catch (err) {
    return fail(`${(err as Error).message.split("\n")[0]} (see --help)`);
  }
}

/** Reads a file the user named, or fails with one line saying which flag named it. */
export function readInput(script: string, path: string, flag: string): string {
  if (!existsSync(path)) failWith(script, `${flag} ${path}: no such file`);
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    return failWith(script, `${flag} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** A number option, or a one-line error naming the flag and what it takes (`what`, e.g. "a whole number ≥ 1"). */
export function numberOption(script: string, flag: string, value: string | undefined, fallback: number, check: (n: number) => boolean = Number.isFinite, what = "a number"): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || !check(n)) failWith(script, `--${flag} must be ${what}, got "${value}"`);
  return n;
}
