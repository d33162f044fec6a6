/**
 * The setup folder's CSV files: which columns each has, which API field each fills, and how a cell is
 * read. One table, used to parse, to report problems by column, and to document the format.
 */
export type CellKind = "string" | "int" | "number" | "bool" | "list" | "hours";
export type ColumnSpec = { column: string; field: string; kind: CellKind; required?: boolean; doc: string };
export type FileSpec = { file: string; key: { column: string; doc: string }; columns: ColumnSpec[] };

export const TEAMS: FileSpec = {
  file: "teams.csv",
  key: { column: "id", doc: "team id: lowercase letters, digits, `_`, `-`" },
  columns: [
    { column: "name", field: "name", kind: "string", required: true, doc: "display name" },
    { column: "model_family", field: "modelFamily", kind: "string", doc: "the model family its leads score with (empty: the router's default family)" },
    { column: "retention_days", field: "retentionDays", kind: "int", doc: "days after which its leads lose their personal fields (empty: kept)" },
  ],
};

export const TERRITORIES: FileSpec = {
  file: "territories.csv",
  key: { column: "id", doc: "territory id" },
  columns: [
    { column: "team", field: "teamId", kind: "string", required: true, doc: "its team (teams.csv or already on the router)" },
    { column: "name", field: "name", kind: "string", required: true, doc: "display name" },
    { column: "countries", field: "countries", kind: "list", doc: "`;`-separated country codes (empty: any)" },
    { column: "industries", field: "industries", kind: "list", doc: "`;`-separated industries (empty: any)" },
    { column: "min_employees", field: "minEmployees", kind: "int", doc: "smallest company size covered" },
    { column: "max_employees", field: "maxEmployees", kind: "int", doc: "largest company size covered" },
  ],
};

export const REPS: FileSpec = {
  file: "reps.csv",
  key: { column: "id", doc: "rep id" },
  columns: [
    { column: "team", field: "teamId", kind: "string", required: true, doc: "the rep's team" },
    { column: "name", field: "name", kind: "string", required: true, doc: "full name" },
    { column: "email", field: "email", kind: "string", required: true, doc: "email address" },
    { column: "role", field: "role", kind: "string", required: true, doc: "`ae` or `sdr` (the tier pool the rep serves)" },
    { column: "timezone", field: "timezone", kind: "string", doc: "IANA timezone, e.g. `Europe/London` (default UTC)" },
    { column: "working_hours", field: "workingHours", kind: "hours", doc: "`Mon-Fri 09:00-17:00` in the rep's timezone (empty: always)" },
    { column: "max_open", field: "maxOpen", kind: "int", required: true, doc: "cap on open assignments" },
    { column: "max_per_day", field: "maxPerDay", kind: "int", required: true, doc: "cap on assignments per day" },
    { column: "weight", field: "weight", kind: "number", doc: "share among equals (default 1)" },
    { column: "win_rate_factor", field: "winRateFactor", kind: "number", doc: "expected-value multiplier (default 1)" },
    { column: "territories", field: "territoryIds", kind: "list", doc: "`;`-separated territory ids of the same team" },
    { column: "segments", field: "segments", kind: "list", doc: "`;`-separated company-size segments (empty: any)" },
  ],
};

export const ACCOUNTS: FileSpec = {
  file: "accounts.csv",
  key: { column: "domain", doc: "the account's email domain, e.g. `bigcorp.example`" },
  columns: [
    { column: "team", field: "teamId", kind: "string", required: true, doc: "the account's team" },
    { column: "name", field: "name", kind: "string", required: true, doc: "account name" },
    { column: "owner", field: "ownerRepId", kind: "string", doc: "owning rep id, same team (gets its leads first)" },
    { column: "strategic", field: "strategic", kind: "bool", doc: "`true`/`false`: strategic accounts escalate" },
    { column: "industry", field: "industry", kind: "string", doc: "account industry (a model can read it)" },
    { column: "employees", field: "employees", kind: "int", doc: "company size" },
    { column: "arr", field: "arr", kind: "number", doc: "annual recurring revenue" },
    { column: "territory", field: "territoryId", kind: "string", doc: "territory id, same team" },
  ],
};

export const SITES: FileSpec = {
  file: "sites.csv",
  key: { column: "id", doc: "public site key, `pk_…`" },
  columns: [
    { column: "team", field: "teamId", kind: "string", required: true, doc: "team whose leads these are" },
    { column: "name", field: "name", kind: "string", required: true, doc: "display name" },
    { column: "allowed_origins", field: "allowedOrigins", kind: "list", doc: "`;`-separated origins browsers may post from; `{router}` is the router's own origin, `{port}` its port" },
    { column: "thank_you_url", field: "thankYouUrl", kind: "string", doc: "where a plain HTML form is redirected" },
    { column: "require_signature", field: "requireSignature", kind: "bool", doc: "`true`: only signed server posts" },
    { column: "dedupe_window_seconds", field: "dedupeWindowSeconds", kind: "int", doc: "repeat posts of one email within it merge (default 86400)" },
  ],
};

/** In the order they are applied: what a row refers to exists before it. */
export const FILE_SPECS = [TEAMS, TERRITORIES, REPS, ACCOUNTS, SITES] as const;
export const POLICY_FILE = "policy.json";
/** `policies/<team id>.json`: a team's own routing policy (the default one is POLICY_FILE). */
export const TEAM_POLICY_DIR = "policies";
