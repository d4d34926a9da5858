// AudioWorkletGlobalScope has no TextDecoder in some browsers, and wasm-bindgen's glue
// creates one when it loads (it only decodes ASCII error messages for this engine).
if (typeof globalThis.TextDecoder === 'undefined') {
  globalThis.TextDecoder = class {
    decode(bytes) {
      return bytes ? String.fromCharCode(...bytes) : '';
    }
  };
}
