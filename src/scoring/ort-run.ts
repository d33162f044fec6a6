/** The slice of an onnxruntime module and session that scoring needs (the Worker's and Node's alike). */
type TensorCtor = new (type: "float32", data: Float32Array, dims: readonly number[]) => unknown;
type RunnableSession = {
  run(feeds: Record<string, unknown>, fetches: readonly string[]): Promise<Record<string, { type: string; data: unknown } | undefined>>;
};

/**
 * Runs a float32 [rows, dim] batch and returns one raw score per row: column 0 of a [rows, 1] output, or
 * column 1 (the positive class) of a [rows, 2] output.
 */
export async function runBatch(
  Tensor: TensorCtor,
  session: RunnableSession,
  inputName: string,
  outputName: string,
  rows: Float32Array,
  dim: number,
): Promise<Float32Array> {
  const count = rows.length / dim;
  const results = await session.run({ [inputName]: new Tensor("float32", rows, [count, dim]) }, [outputName]);
  const out = results[outputName];
  if (!out || out.type !== "float32") throw new Error(`output ${outputName} is not a float32 tensor`);
  const data = out.data as Float32Array;
  const width = data.length / count;
  if (width === 1) return data;
  if (width === 2) return Float32Array.from({ length: count }, (_, i) => data[i * 2 + 1]!);
  throw new Error(`output ${outputName} has ${width} columns; expected 1 or 2`);
}
