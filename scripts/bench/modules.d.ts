declare module "*.onnx" {
  const bytes: ArrayBuffer;
  export default bytes;
}
