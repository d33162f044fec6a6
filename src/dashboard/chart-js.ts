// Chart.js's UMD build, bundled as a text module (wrangler.toml [[rules]] Text; vitest.config.ts loads it
// as a string too) so the Worker serves the charting library itself. chart.js's `exports` map does not
// list dist/chart.umd.js, hence the path into node_modules; a text module has no type declarations.
// @ts-ignore TS7016: no declaration file for a text module
import source from "../../node_modules/chart.js/dist/chart.umd.js";

/** Chart.js 4 (UMD: defines `window.Chart`), as served at /dashboard/chart.umd.js. */
export const CHART_JS: string = source;
