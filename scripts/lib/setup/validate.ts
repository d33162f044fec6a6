/**
 * Reads a setup folder's text into the state it asks for, checking all of it first: every bad cell,
 * row, duplicate and cross-file reference is a Problem naming file, line and column; nothing is partial.
 * Pure (the folder's text in, values out), so tests and `--dry-run` run it without a router.
 */
import type { z } from "zod";
import { PolicySchema, type Policy } from "../../../src/routing/policy.ts";
import { AccountBody, DomainParam, IdParam, RepBody, TeamBody, TerritoryBody } from "../../../src/schemas/routing.ts";
import { SiteBody } from "../../../src/schemas/admin.ts";
import { parseCsv, type CsvRecord } from "./csv.ts";
import { ACCOUNTS, FILE_SPECS, POLICY_FILE, REPS, SITES, TEAM_POLICY_DIR, TEAMS, TERRITORIES, type ColumnSpec, type FileSpec } from "./columns.ts";

/** One thing wrong, located: `column` is the CSV column (or the JSON path in policy.json). */
export type Problem = { file: string; line: number; column: string | null; message: string };

export const formatProblem = (p: Problem) => `${p.file}:${p.line}${p.column ? ` ${p.column}` : ""}: ${p.message}`;

/** A row as the API takes it; `managed` lists the fields the file has columns for (others stay as they are). */
export type Row = { id: string; line: number; body: Record<string, unknown>; managed: string[] };

export type Desired = {
  teams: Row[] | null;
  territories: Row[] | null;
  reps: Row[] | null;
  accounts: Row[] | null;
  sites: Row[] | null;
  policy: Policy | null;
  /** Per team id, the team's own policy (`policies/<team>.json`). */
  teamPolicies: Record<string, Policy>;
};

/** What the router already holds, for references a folder may make to it (a team set up earlier). */
export type Known = { teams: string[]; reps: { id: string; teamId: string }[]; territories: { id: string; teamId: string }[] };

/** Values `{router}` and `{port}` take in sites.csv: the router's own origin and port (the demo form's origin). */
export type Placeholders = { router: string; port: string };

const SCHEMAS = new Map<FileSpec, z.ZodType>([
  [TEAMS, TeamBody],
  [TERRITORIES, TerritoryBody],
  [REPS, RepBody],
  [ACCOUNTS, AccountBody],
  [SITES, SiteBody],
]);

const DAYS: Record<string, number> = { mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6, sun: 7 };

/** `Mon-Fri 09:00-17:00`, `Mon,Wed,Fri 08:00-12:00`, `Fri-Mon 22:00-06:00` → `{ days, start, end }`. */
export function parseWorkingHours(cell: string): { days: number[]; start: string; end: string } {
  const m = /^([A-Za-z,\s-]+?)\s+(\d{2}:\d{2})\s*-\s*(\d{2}:\d{2})$/.exec(cell.trim());
  if (!m) throw new Error(`write working hours as "Mon-Fri 09:00-17:00", not "${cell}"`);
  const days = new Set<number>();
  for (const part of m[1]!.split(",").map((p) => p.trim().toLowerCase())) {
    const [from, to] = part.split("-").map((d) => DAYS[d.trim().slice(0, 3)]);
    if (from === undefined || (part.includes("-") && to === undefined)) throw new Error(`"${part}" is not a weekday or range (Mon … Sun)`);
    for (let d = from, n = 0; n < 7; d = (d % 7) + 1, n++) {
      days.add(d);
      if (d === (to ?? from)) break;
    }
  }
  return { days: [...days].sort((a, b) => a - b), start: m[2]!, end: m[3]! };
}

function readCell(spec: ColumnSpec, raw: string): unknown {
  const cell = raw.trim();
  switch (spec.kind) {
    case "string":
      return cell;
    case "list":
      return cell.split(";").map((s) => s.trim()).filter((s) => s !== "");
    case "int":
    case "number":
      if (!(spec.kind === "int" ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/).test(cell)) throw new Error(`"${cell}" is not ${spec.kind === "int" ? "a whole number" : "a number"}`);
      return Number(cell);
    case "bool":
      if (/^(true|yes|1)$/i.test(cell)) return true;
      if (/^(false|no|0)$/i.test(cell)) return false;
      throw new Error(`"${cell}" is not true or false`);
    case "hours":
      return parseWorkingHours(cell);
  }
}

function fill(text: string, vars: Placeholders): string {
  return text.replaceAll("{router}", vars.router).replaceAll("{port}", vars.port);
}

/** One CSV file → rows, each checked with the same zod schema the admin API uses. */
function readFile(spec: FileSpec, text: string, vars: Placeholders, problems: Problem[]): Row[] {
  const at = (line: number, column: string | null, message: string) => problems.push({ file: spec.file, line, column, message });
  let table: ReturnType<typeof parseCsv>;
  try {
    table = parseCsv(text);
  } catch (err) {
    at(Number(/line (\d+)/.exec(String(err))?.[1] ?? 1), null, (err as Error).message.replace(/^line \d+: /, ""));
    return [];
  }
  const known = new Map([[spec.key.column, spec.key], ...spec.columns.map((c) => [c.column, c] as const)]);
  const colNo = (column: string) => `${column} (column ${table.header.indexOf(column) + 1})`;
  let headerOk = true;
  table.header.forEach((h, i) => {
    if (!known.has(h)) (headerOk = false), at(1, `column ${i + 1}`, `unknown column "${h}" (known: ${[...known.keys()].join(", ")})`);
  });
  for (const required of [spec.key.column, ...spec.columns.filter((c) => c.required).map((c) => c.column)]) {
    if (!table.header.includes(required)) (headerOk = false), at(1, null, `missing column "${required}"`);
  }
  if (!headerOk) return [];
  const present = spec.columns.filter((c) => table.header.includes(c.column));
  const byField = new Map(spec.columns.map((c) => [c.field, c.column]));
  const schema = SCHEMAS.get(spec)!;
  const seen = new Map<string, number>();
  const rows: Row[] = [];
  for (const record of table.records) rows.push(...readRecord(record));
  return rows;

  function readRecord({ line, cells }: CsvRecord): Row[] {
    const cell = (column: string) => cells[table.header.indexOf(column)] ?? "";
    if (cells.length !== table.header.length) {
      at(line, null, `${cells.length} cells where the header has ${table.header.length}`);
      return [];
    }
    const keyCell = cell(spec.key.column).trim();
    const keyParsed = (spec === ACCOUNTS ? DomainParam : spec === SITES ? SiteBody.shape.id : IdParam).safeParse(keyCell);
    let ok = true;
    if (!keyParsed.success) (ok = false), at(line, colNo(spec.key.column), `${keyCell === "" ? "required" : `"${keyCell}": ${keyParsed.error.issues[0]?.message}`}`);
    const id = keyParsed.success ? keyParsed.data : keyCell;
    const first = seen.get(id);
    if (first !== undefined) (ok = false), at(line, colNo(spec.key.column), `duplicate ${spec.key.column} "${id}" (first on line ${first})`);
    else seen.set(id, line);
    const raw: Record<string, unknown> = spec === SITES ? { id } : {};
    for (const c of present) {
      const text = spec === SITES ? fill(cell(c.column), vars) : cell(c.column);
      if (text.trim() === "") {
        if (c.required) (ok = false), at(line, colNo(c.column), "required");
        // An empty optional cell means the API's default (null for the nullable ones).
        else if (["thankYouUrl", "ownerRepId", "industry", "employees", "arr", "territoryId", "workingHours", "minEmployees", "maxEmployees", "modelFamily", "retentionDays"].includes(c.field)) raw[c.field] = null;
        continue;
      }
      try {
        raw[c.field] = readCell(c, text);
      } catch (err) {
        (ok = false), at(line, colNo(c.column), (err as Error).message);
      }
    }
    if (!ok) return [];
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const column = byField.get(String(issue.path[0])) ?? spec.key.column;
        at(line, colNo(column), `${issue.path.length > 1 ? `${issue.path.slice(1).join(".")}: ` : ""}${issue.message}`);
      }
      return [];
    }
    const out = parsed.data as Record<string, unknown>;
    const managed = present.map((c) => c.field);
    return [{ id, line, body: Object.fromEntries(managed.map((f) => [f, out[f]])), managed }];
  }
}

/** The line of a JSON path's last key in the file's text (a best guess: the first occurrence after its parent's). */
function jsonLine(text: string, path: PropertyKey[]): number {
  let from = 0;
  for (const key of path) {
    if (typeof key !== "string") continue;
    const at = text.indexOf(`"${key}"`, from);
    if (at >= 0) from = at;
  }
  return text.slice(0, from).split("\n").length;
}

function readPolicy(file: string, text: string, problems: Problem[]): Policy | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    const pos = Number(/position (\d+)/.exec(String(err))?.[1] ?? 0);
    problems.push({ file, line: text.slice(0, pos).split("\n").length, column: null, message: `not valid JSON: ${(err as Error).message}` });
    return null;
  }
  const parsed = PolicySchema.safeParse(json);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    problems.push({ file, line: jsonLine(text, issue.path), column: issue.path.length ? issue.path.join(".") : null, message: issue.message });
  }
  return null;
}

/** `policies/<team>.json` files → each team's policy; a file name that is no team id is a problem. */
function readTeamPolicies(files: Record<string, string | undefined>, problems: Problem[]): Record<string, Policy> {
  const out: Record<string, Policy> = {};
  for (const [file, text] of Object.entries(files)) {
    if (!file.startsWith(`${TEAM_POLICY_DIR}/`) || text === undefined) continue;
    const team = /^policies\/([a-z0-9_-]{1,64})\.json$/.exec(file)?.[1];
    if (!team) {
      problems.push({ file, line: 0, column: null, message: "name a team's policy file <team id>.json (lowercase letters, digits, _ and -)" });
      continue;
    }
    const policy = readPolicy(file, text, problems);
    if (policy) out[team] = policy;
  }
  return out;
}

/**
 * The folder (file name → text; absent files are not managed) → the state it asks for, or every problem.
 * `known` is what the router already has, for references to teams, reps and territories set up before.
 */
export function readSetup(files: Record<string, string | undefined>, vars: Placeholders, known: Known = { teams: [], reps: [], territories: [] }): { desired: Desired; problems: Problem[] } {
  const problems: Problem[] = [];
  const read = (spec: FileSpec) => (files[spec.file] === undefined ? null : readFile(spec, files[spec.file]!, vars, problems));
  const desired: Desired = {
    teams: read(TEAMS),
    territories: read(TERRITORIES),
    reps: read(REPS),
    accounts: read(ACCOUNTS),
    sites: read(SITES),
    policy: files[POLICY_FILE] === undefined ? null : readPolicy(POLICY_FILE, files[POLICY_FILE]!, problems),
    teamPolicies: readTeamPolicies(files, problems),
  };
  if (Object.values(files).every((text) => text === undefined)) {
    problems.push({ file: "(folder)", line: 0, column: null, message: `none of ${[...FILE_SPECS.map((s) => s.file), POLICY_FILE, `${TEAM_POLICY_DIR}/<team>.json`].join(", ")} is there` });
  }
  checkReferences(desired, known, problems);
  return { desired, problems };
}

/** Cross-file references: every team, territory and owner a row names exists (here or on the router) and is of the row's team. */
function checkReferences(d: Desired, known: Known, problems: Problem[]): void {
  const teams = new Set([...known.teams, ...(d.teams ?? []).map((t) => t.id)]);
  for (const team of Object.keys(d.teamPolicies)) {
    if (!teams.has(team)) problems.push({ file: `${TEAM_POLICY_DIR}/${team}.json`, line: 0, column: null, message: `no team ${team} in teams.csv or on the router` });
  }
  const teamOf = (rows: Row[] | null, extra: { id: string; teamId: string }[]) =>
    new Map([...extra.map((r) => [r.id, r.teamId] as const), ...(rows ?? []).map((r) => [r.id, String(r.body.teamId ?? "")] as const)]);
  const territories = teamOf(d.territories, known.territories);
  const reps = teamOf(d.reps, known.reps);
  const ref = (spec: FileSpec, row: Row, field: string, column: string, kind: string, pool: Map<string, string>) => {
    const value = row.body[field];
    for (const target of Array.isArray(value) ? (value as string[]) : value == null ? [] : [String(value)]) {
      const owner = pool.get(target);
      if (owner === undefined) problems.push({ file: spec.file, line: row.line, column, message: `no ${kind} "${target}" in ${kind === "rep" ? "reps.csv" : "territories.csv"} or on the router` });
      else if (row.body.teamId !== undefined && owner !== row.body.teamId) problems.push({ file: spec.file, line: row.line, column, message: `${kind} "${target}" belongs to team "${owner}", not "${String(row.body.teamId)}"` });
    }
  };
  for (const spec of [TERRITORIES, REPS, ACCOUNTS, SITES]) {
    const rows = d[spec === TERRITORIES ? "territories" : spec === REPS ? "reps" : spec === ACCOUNTS ? "accounts" : "sites"];
    for (const row of rows ?? []) {
      const team = row.body.teamId;
      if (team !== undefined && !teams.has(String(team))) problems.push({ file: spec.file, line: row.line, column: "team", message: `no team "${String(team)}" in teams.csv or on the router` });
      if (spec === REPS) ref(spec, row, "territoryIds", "territories", "territory", territories);
      if (spec === ACCOUNTS) ref(spec, row, "ownerRepId", "owner", "rep", reps), ref(spec, row, "territoryId", "territory", "territory", territories);
    }
  }
}
