import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  // Each area keeps its tables in its own schema file.
  schema: "./src/db/schema*.ts",
  out: "./migrations",
});
