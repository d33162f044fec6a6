import protobuf from "protobufjs";

/**
 * The part of onnx.proto (github.com/onnx/onnx, field numbers kept) this project writes: enough for
 * linear models, tree ensembles and plain ops. protobufjs encodes it; nothing is generated at build time.
 */
const ONNX_SUBSET = `syntax = "proto2"; package onnx;
message AttributeProto {
  optional string name = 1; optional float f = 2; optional int64 i = 3; optional bytes s = 4;
  repeated float floats = 7; repeated int64 ints = 8; repeated bytes strings = 9; optional int32 type = 20;
}
message ValueInfoProto { optional string name = 1; optional TypeProto type = 2; }
message NodeProto {
  repeated string input = 1; repeated string output = 2; optional string name = 3; optional string op_type = 4;
  repeated AttributeProto attribute = 5; optional string domain = 7;
}
message TensorProto {
  repeated int64 dims = 1; optional int32 data_type = 2; repeated float float_data = 4 [packed = true];
  optional string name = 8; optional bytes raw_data = 9;
}
message TensorShapeProto { message Dimension { optional int64 dim_value = 1; optional string dim_param = 2; } repeated Dimension dim = 1; }
message TypeProto { message Tensor { optional int32 elem_type = 1; optional TensorShapeProto shape = 2; } optional Tensor tensor_type = 1; }
message GraphProto {
  repeated NodeProto node = 1; optional string name = 2; repeated TensorProto initializer = 5;
  optional string doc_string = 10; repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12;
}
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message StringStringEntryProto { optional string key = 1; optional string value = 2; }
message ModelProto {
  optional int64 ir_version = 1; optional string producer_name = 2; optional string producer_version = 3;
  optional string domain = 4; optional int64 model_version = 5; optional string doc_string = 6;
  optional GraphProto graph = 7; repeated OperatorSetIdProto opset_import = 8; repeated StringStringEntryProto metadata_props = 14;
}`;

const ModelProto = protobuf.parse(ONNX_SUBSET).root.lookupType("onnx.ModelProto");

const FLOAT = 1;
const ATTR = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;

export type AttributeValue = number | string | number[] | string[] | { ints: number[] } | { floats: number[] };
export type NodeSpec = { op: string; inputs: string[]; outputs: string[]; name: string; domain?: string; attributes?: Record<string, AttributeValue> };
export type GraphSpec = {
  inputs: { name: string; dims: (number | string)[] }[];
  outputs: { name: string; dims: (number | string)[] }[];
  nodes: NodeSpec[];
  initializers: { name: string; dims: number[]; values: ArrayLike<number> }[];
  opsets: { domain: string; version: number }[];
  producer: string;
  metadata?: Record<string, string>;
};

const utf8 = (s: string) => new TextEncoder().encode(s);

function attribute(name: string, v: AttributeValue) {
  if (typeof v === "string") return { name, type: ATTR.STRING, s: utf8(v) };
  if (typeof v === "number") return Number.isInteger(v) ? { name, type: ATTR.INT, i: v } : { name, type: ATTR.FLOAT, f: v };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === "string")) return { name, type: ATTR.STRINGS, strings: (v as string[]).map(utf8) };
    return { name, type: ATTR.FLOATS, floats: v as number[] };
  }
  return "ints" in v ? { name, type: ATTR.INTS, ints: v.ints } : { name, type: ATTR.FLOATS, floats: v.floats };
}

const valueInfo = (v: { name: string; dims: (number | string)[] }) => ({
  name: v.name,
  type: { tensorType: { elemType: FLOAT, shape: { dim: v.dims.map((d) => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) } } },
});

/** Encodes a float32 graph as ONNX ModelProto bytes. Deterministic: no timestamps, stable field order. */
export function encodeModel(g: GraphSpec): Uint8Array {
  const message = ModelProto.fromObject({
    irVersion: 8,
    producerName: g.producer,
    producerVersion: "1",
    opsetImport: g.opsets,
    metadataProps: Object.entries(g.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: "lead_router_model",
      node: g.nodes.map((n) => ({
        name: n.name,
        opType: n.op,
        domain: n.domain ?? "",
        input: n.inputs,
        output: n.outputs,
        attribute: Object.entries(n.attributes ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      initializer: g.initializers.map((t) => ({ name: t.name, dims: t.dims, dataType: FLOAT, floatData: Array.from(t.values, Math.fround) })),
      input: g.inputs.map(valueInfo),
      output: g.outputs.map(valueInfo),
    },
  });
  return ModelProto.encode(message).finish();
}

/** Decodes ModelProto bytes into a plain object (node op types, inputs, outputs), for checks and rewrites. */
export function decodeModel(bytes: Uint8Array): Record<string, unknown> {
  return ModelProto.toObject(ModelProto.decode(bytes), { longs: Number, bytes: String, defaults: false });
}

/** A logistic-regression graph: features [N, dim] → MatMul → Add → `logit` [N, 1] (calibration is in the manifest). */
export function linearModelOnnx(weights: ArrayLike<number>, bias: number, inputName = "features", outputName = "logit"): Uint8Array {
  const dim = weights.length;
  return encodeModel({
    producer: "lead-router-trainer",
    opsets: [{ domain: "", version: 17 }],
    inputs: [{ name: inputName, dims: ["N", dim] }],
    outputs: [{ name: outputName, dims: ["N", 1] }],
    initializers: [
      { name: "coef", dims: [dim, 1], values: weights },
      { name: "intercept", dims: [1], values: [bias] },
    ],
    nodes: [
      { op: "MatMul", name: "linear", inputs: [inputName, "coef"], outputs: ["margin"] },
      { op: "Add", name: "bias", inputs: ["margin", "intercept"], outputs: [outputName] },
    ],
  });
}
