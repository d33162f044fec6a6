import { AttributeType, DataType, onnx } from "./onnx-proto.ts";
import { decodeMessage, encodeMessage, type ProtoObject } from "./proto-codec.ts";
import { flattenTrees, type Tree } from "./tree-ensemble.ts";

/** A dimension: a fixed size, or a symbolic name such as "N" for the batch. */
export type Dim = number | string;
export type ValueSpec = { name: string; dims: Dim[]; elemType?: "float" | "int64" };
/**
 * An attribute value. Numbers are tagged ({ int } / { float } / { ints } / { floats }) because ONNX
 * types them and JavaScript cannot tell 1 from 1.0: a tree threshold of 3 must still be a float.
 */
export type AttributeValue =
  | string
  | string[]
  | { int: number }
  | { float: number }
  | { ints: readonly number[] }
  | { floats: readonly number[] };
export type NodeSpec = {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  /** "" (the default) is the standard ai.onnx domain; "ai.onnx.ml" holds the classic ML operators. */
  domain?: string;
  attributes?: Record<string, AttributeValue>;
};
export type InitializerSpec = { name: string; dims: number[]; values: ArrayLike<number>; dataType?: "float" | "int64" };
export type ModelSpec = {
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  nodes: NodeSpec[];
  initializers?: InitializerSpec[];
  opsetImports: { domain: string; version: number }[];
  producerName?: string;
  producerVersion?: string;
  /** 8 suits ai.onnx opset 17 and every runtime since onnxruntime 1.10. */
  irVersion?: number;
  graphName?: string;
  docString?: string;
  /** Written as metadata_props, sorted by key so the bytes do not depend on insertion order. */
  metadata?: Record<string, string>;
};

const utf8 = (s: string) => new TextEncoder().encode(s);
const elemType = (t: "float" | "int64" | undefined) => (t === "int64" ? DataType.INT64 : DataType.FLOAT);

function attribute(name: string, v: AttributeValue) {
  if (typeof v === "string") return { name, type: AttributeType.STRING, s: utf8(v) };
  if (Array.isArray(v)) return { name, type: AttributeType.STRINGS, strings: v.map(utf8) };
  if ("int" in v) return { name, type: AttributeType.INT, i: v.int };
  if ("float" in v) return { name, type: AttributeType.FLOAT, f: v.float };
  if ("ints" in v) return { name, type: AttributeType.INTS, ints: [...v.ints] };
  return { name, type: AttributeType.FLOATS, floats: Array.from(v.floats, Math.fround) };
}

const valueInfo = (v: ValueSpec) => ({
  name: v.name,
  type: {
    tensorType: {
      elemType: elemType(v.elemType),
      shape: { dim: v.dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) },
    },
  },
});

function initializer(t: InitializerSpec) {
  const values = Array.from(t.values);
  if (t.dataType === "int64") return { name: t.name, dims: t.dims, dataType: DataType.INT64, int64Data: values };
  return { name: t.name, dims: t.dims, dataType: DataType.FLOAT, floatData: values.map(Math.fround) };
}

/**
 * Encodes a model as ONNX ModelProto bytes. Deterministic: the same spec gives the same bytes (no
 * timestamps, no random names, fields in a fixed order).
 */
export function encodeModel(spec: ModelSpec): Uint8Array {
  const metadata = Object.entries(spec.metadata ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return encodeMessage(onnx.ModelProto, {
    irVersion: spec.irVersion ?? 8,
    producerName: spec.producerName ?? "edge-lead-router",
    producerVersion: spec.producerVersion ?? "1",
    ...(spec.docString ? { docString: spec.docString } : {}),
    opsetImport: spec.opsetImports,
    metadataProps: metadata.map(([key, value]) => ({ key, value })),
    graph: {
      name: spec.graphName ?? "lead_score",
      node: spec.nodes.map((n, i) => ({
        name: n.name ?? `${n.opType}_${i}`,
        opType: n.opType,
        domain: n.domain ?? "",
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: (spec.initializers ?? []).map(initializer),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
    },
  });
}

/** The decoded shape of the parts of a model this project inspects (a plain object; other fields pass through). */
export type DecodedModel = {
  irVersion?: number;
  producerName?: string;
  opsetImport?: { domain?: string; version?: number }[];
  metadataProps?: { key?: string; value?: string }[];
  graph?: {
    name?: string;
    node?: { opType?: string; domain?: string; name?: string; input?: string[]; output?: string[]; attribute?: Record<string, unknown>[] }[];
    initializer?: { name?: string; dims?: number[]; dataType?: number; floatData?: number[]; rawData?: Uint8Array }[];
    input?: { name?: string; type?: Record<string, unknown> }[];
    output?: { name?: string; type?: Record<string, unknown> }[];
    valueInfo?: { name?: string; type?: Record<string, unknown> }[];
  };
};

/**
 * Decodes ModelProto bytes into a plain object (int64 as numbers, bytes as Uint8Array, repeated fields
 * as arrays), to inspect a foreign export or rewrite it and re-encode it with `reencodeModel`. Fields
 * outside the subset in ./onnx-proto.ts are dropped. Runs in workerd too (no code generation).
 */
export function decodeModel(bytes: Uint8Array): DecodedModel {
  return decodeMessage(onnx.ModelProto, bytes) as DecodedModel;
}

/** Encodes a (possibly edited) `decodeModel` result back to bytes. */
export function reencodeModel(model: DecodedModel): Uint8Array {
  return encodeMessage(onnx.ModelProto, model as ProtoObject);
}

/**
 * A logistic-regression graph: `features` float32 [N, dim] → MatMul(coef [dim, 1]) → Add(intercept)
 * → `logit` float32 [N, 1]. The sigmoid and any calibration stay in the manifest, so the graph's output
 * is also the margin reason codes are explained against. Weights are stored as float32.
 */
export function linearModelOnnx(opts: {
  weights: ArrayLike<number>;
  bias: number;
  inputName?: string;
  outputName?: string;
  metadata?: Record<string, string>;
}): Uint8Array {
  const { weights, bias, inputName = "features", outputName = "logit" } = opts;
  const dim = weights.length;
  return encodeModel({
    opsetImports: [{ domain: "", version: 17 }],
    inputs: [{ name: inputName, dims: ["N", dim] }],
    outputs: [{ name: outputName, dims: ["N", 1] }],
    initializers: [
      { name: "coef", dims: [dim, 1], values: weights },
      { name: "intercept", dims: [1], values: [bias] },
    ],
    nodes: [
      { opType: "MatMul", name: "linear", inputs: [inputName, "coef"], outputs: ["margin"] },
      { opType: "Add", name: "add_intercept", inputs: ["margin", "intercept"], outputs: [outputName] },
    ],
    metadata: opts.metadata,
  });
}

/**
 * A tree-ensemble graph (ai.onnx.ml TreeEnsembleRegressor, ml opset 3): `features` float32 [N, dim] →
 * `outputName` float32 [N, 1] = baseValue + the sum over trees of the leaf each row reaches: the raw
 * margin (log-odds for a GBDT trained on log loss). Trees are described in ./tree-ensemble.ts:
 * `x[feature] <= threshold` goes left, NaN goes right, thresholds are stored as float32.
 */
export function treeEnsembleOnnx(opts: {
  trees: readonly Tree[];
  dim: number;
  baseValue?: number;
  inputName?: string;
  outputName?: string;
  metadata?: Record<string, string>;
}): Uint8Array {
  const { trees, dim, baseValue = 0, inputName = "features", outputName = "logit" } = opts;
  const f = flattenTrees(trees, dim);
  return encodeModel({
    opsetImports: [
      { domain: "", version: 17 },
      { domain: "ai.onnx.ml", version: 3 },
    ],
    inputs: [{ name: inputName, dims: ["N", dim] }],
    outputs: [{ name: outputName, dims: ["N", 1] }],
    nodes: [
      {
        opType: "TreeEnsembleRegressor",
        domain: "ai.onnx.ml",
        name: "trees",
        inputs: [inputName],
        outputs: [outputName],
        attributes: {
          aggregate_function: "SUM",
          post_transform: "NONE",
          n_targets: { int: 1 },
          base_values: { floats: [baseValue] },
          nodes_treeids: { ints: f.nodesTreeIds },
          nodes_nodeids: { ints: f.nodesNodeIds },
          nodes_featureids: { ints: f.nodesFeatureIds },
          nodes_values: { floats: f.nodesValues },
          nodes_modes: f.nodesModes,
          nodes_truenodeids: { ints: f.nodesTrueNodeIds },
          nodes_falsenodeids: { ints: f.nodesFalseNodeIds },
          nodes_missing_value_tracks_true: { ints: f.nodesMissingTracksTrue },
          target_treeids: { ints: f.targetTreeIds },
          target_nodeids: { ints: f.targetNodeIds },
          target_ids: { ints: f.targetTreeIds.map(() => 0) },
          target_weights: { floats: f.targetWeights },
        },
      },
    ],
    metadata: opts.metadata,
  });
}
