// The two modules the Worker imports that are not JavaScript: workerd and wrangler hand them over as a
// compiled Wasm module and as the raw bytes of a data module.
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}

declare module "*.tgb" {
  const bytes: ArrayBuffer;
  export default bytes;
}
