import { AttributeType, DataType } from "./onnx-proto.ts";
import { decodeModel, reencodeModel, type DecodedModel } from "./onnx-writer.ts";

type Attr = { name?: string; type?: number; ints?: number[]; strings?: Uint8Array[] };

/** How many classes a ZipMap names (its classlabels_int64s or classlabels_strings attribute). */
function classCount(attrs: Attr[]): number | undefined {
  for (const a of attrs) {
    if (a.name === "classlabels_int64s" && a.type === AttributeType.INTS) return a.ints?.length;
    if (a.name === "classlabels_strings" && a.type === AttributeType.STRINGS) return a.strings?.length;
  }
  return undefined;
}

/**
 * Makes a scikit-learn export (skl2onnx's default `zipmap: True`) readable by onnxruntime-web: each
 * ai.onnx.ml ZipMap node becomes an Identity of its input, so the graph output keeps its name but carries
 * the float32 [N, classes] probability tensor instead of a sequence of maps (which onnxruntime-web
 * cannot read). Column 1 is then the positive class of a binary classifier, as the Worker expects.
 * Returns the bytes unchanged (`rewritten: []`) when there is no ZipMap.
 */
export function removeZipMap(bytes: Uint8Array): { bytes: Uint8Array; rewritten: string[] } {
  const model: DecodedModel = decodeModel(bytes);
  const graph = model.graph;
  const rewritten: string[] = [];
  for (const node of graph?.node ?? []) {
    if (node.opType !== "ZipMap" || node.domain !== "ai.onnx.ml") continue;
    const output = node.output?.[0];
    const classes = classCount((node.attribute ?? []) as Attr[]);
    node.opType = "Identity";
    node.domain = "";
    node.attribute = [];
    for (const v of graph?.output ?? []) {
      if (v.name !== output) continue;
      v.type = {
        tensorType: {
          elemType: DataType.FLOAT,
          shape: { dim: [{ dimParam: "N" }, classes === undefined ? { dimParam: "classes" } : { dimValue: classes }] },
        },
      };
    }
    if (output) rewritten.push(output);
  }
  if (rewritten.length === 0) return { bytes, rewritten };
  // Identity lives in the default domain: make sure the model imports it.
  const opsets = (model.opsetImport ??= []);
  if (!opsets.some((o) => (o.domain ?? "") === "")) opsets.push({ domain: "", version: 13 });
  return { bytes: reencodeModel(model), rewritten };
}
