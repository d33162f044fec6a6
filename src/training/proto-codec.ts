import protobuf from "protobufjs";

/**
 * Encodes and decodes messages by walking protobufjs reflection (`Type.fieldsArray`) with protobufjs's
 * `Writer` and `Reader`. protobufjs's own `Type.encode/decode/fromObject` compile code with
 * `new Function`, which workerd refuses ("Code generation from strings disallowed"); this interpreter
 * needs no code generation, so the same ONNX code runs in Node, in tests inside workerd and in a Worker.
 *
 * Objects use protobufjs's camelCase field names. Encoding: fields in field-number order (as protobufjs
 * and protoc do), unset and empty-repeated fields omitted, int64 from numbers. Decoding: int64 as
 * numbers, bytes as Uint8Array, repeated fields always present as arrays, unknown fields skipped.
 * Supports scalars, strings, bytes, nested messages and repeated/packed fields; no maps, no oneofs.
 */
export type ProtoObject = Record<string, unknown>;

const WIRE: Record<string, number> = protobuf.types.basic as Record<string, number>;
const PACKABLE: Record<string, number> = protobuf.types.packed as Record<string, number>;

const sortedFields = (type: protobuf.Type) => [...type.fieldsArray].sort((a, b) => a.id - b.id);

function scalarType(field: protobuf.Field): string {
  // Enums travel as int32 varints.
  return field.resolvedType instanceof protobuf.Enum ? "int32" : field.type;
}

type WriterFn = (this: protobuf.Writer, v: unknown) => protobuf.Writer;
const writeScalar = (w: protobuf.Writer, type: string, v: unknown) => (w[type as keyof protobuf.Writer] as WriterFn).call(w, v);

function writeMessage(w: protobuf.Writer, type: protobuf.Type, obj: ProtoObject): void {
  for (const field of sortedFields(type)) {
    field.resolve();
    const value = obj[field.name];
    if (value === undefined || value === null) continue;
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
    const values = field.repeated ? Array.from(value as ArrayLike<unknown>) : [value];
    if (field.repeated && values.length === 0) continue;
    if (sub) {
      for (const v of values) {
        w.uint32((field.id << 3) | 2).fork();
        writeMessage(w, sub, v as ProtoObject);
        w.ldelim();
      }
      continue;
    }
    const t = scalarType(field);
    if (field.repeated && field.packed && t in PACKABLE) {
      w.uint32((field.id << 3) | 2).fork();
      for (const v of values) writeScalar(w, t, v);
      w.ldelim();
      continue;
    }
    for (const v of values) writeScalar(w.uint32((field.id << 3) | WIRE[t]!), t, v);
  }
}

/** Encodes `obj` as a `type` message. */
export function encodeMessage(type: protobuf.Type, obj: ProtoObject): Uint8Array {
  // A plain Writer (not Node's BufferWriter) so the result is a Uint8Array everywhere.
  const w = new protobuf.Writer();
  writeMessage(w, type, obj);
  // finish() may hand back a view into protobufjs's shared slab: copy, so `.buffer` is ours alone.
  return w.finish().slice();
}

function readScalar(r: protobuf.Reader, type: string): unknown {
  const v = (r[type as keyof protobuf.Reader] as () => unknown).call(r);
  // int64 comes back as a Long when the `long` package is present: the sizes ONNX stores fit a double.
  return v !== null && typeof v === "object" && "toNumber" in v ? (v as { toNumber(): number }).toNumber() : v;
}

function readMessage(r: protobuf.Reader, type: protobuf.Type, end: number): ProtoObject {
  const out: ProtoObject = {};
  for (const field of type.fieldsArray) if (field.repeated) out[field.name] = [];
  while (r.pos < end) {
    const tag = r.uint32();
    const field = type.fieldsById[tag >>> 3];
    const wire = tag & 7;
    if (!field) {
      r.skipType(wire);
      continue;
    }
    field.resolve();
    const sub = field.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
    const t = scalarType(field);
    const push = (v: unknown) => (field.repeated ? (out[field.name] as unknown[]).push(v) : (out[field.name] = v));
    if (sub) {
      const len = r.uint32();
      push(readMessage(r, sub, r.pos + len));
    } else if (field.repeated && wire === 2 && t in PACKABLE) {
      const stop = r.uint32() + r.pos;
      while (r.pos < stop) push(readScalar(r, t));
    } else push(readScalar(r, t));
  }
  return out;
}

/** Decodes a `type` message from bytes. */
export function decodeMessage(type: protobuf.Type, bytes: Uint8Array): ProtoObject {
  // A plain Reader (not Node's BufferReader) so bytes fields come back as Uint8Array, not Buffer.
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return readMessage(new protobuf.Reader(view), type, view.length);
}
