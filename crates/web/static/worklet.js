// photophone's AudioWorklet: the Rust synthesis engine (WebAssembly) renders every
// 128-frame quantum here, on the audio thread; the page only sends scores.
import '/worklet-shim.js'; // must load before the glue
import { initSync, Engine } from '/pkg/photophone_wasm.js';

class PhotophoneProcessor extends AudioWorkletProcessor {
  constructor(options) {
    super();
    initSync({ module: options.processorOptions.module });
    this.engine = new Engine(sampleRate);
    this.announced = false;
    this.port.onmessage = (event) => {
      const m = event.data;
      if (m.type === 'score') {
        const ok = this.engine.play(m.json, m.fade);
        this.announced = false;
        this.port.postMessage({ type: 'accepted', ok, id: m.id });
      }
    };
  }

  process(_inputs, outputs) {
    const out = outputs[0];
    this.engine.render(out[0], out[1] ?? out[0]);
    if (!this.announced && this.engine.is_playing()) {
      this.announced = true;
      this.port.postMessage({ type: 'rendering', frame: currentFrame });
    }
    return true;
  }
}

registerProcessor('photophone', PhotophoneProcessor);
