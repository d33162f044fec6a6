/** D1 binds at most 100 parameters per statement, so long `IN (…)` lists are queried in slices. */
export const D1_IN_LIMIT = 90;

export const chunks = <T>(xs: readonly T[], size = D1_IN_LIMIT): T[][] =>
  Array.from({ length: Math.ceil(xs.length / size) }, (_, i) => xs.slice(i * size, (i + 1) * size));

/** Runs `query` on each slice of `ids` in parallel and concatenates the rows. */
export async function selectInChunks<T, R>(ids: readonly T[], query: (part: T[]) => Promise<R[]>): Promise<R[]> {
  return (await Promise.all(chunks(ids).map(query))).flat();
}
