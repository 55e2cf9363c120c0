// Throughput of the Wasm runner's dfaIsMatch on 1 MiB of mixed text (no matches): one pattern, then the
// any-of DFA of the nine DLP patterns of examples/dlp.yaml. CPU time, so a busy machine skews less.
// Run: npx tsx test/regex/bench.ts   (uses build/test/dfa.wasm: the -O2 test build, rebuilt if stale)

import { compileAnyOf, compileRegex, isMatch } from "../../compiler/regex/index.ts";
import { DLP_PATTERNS } from "./corpus.ts";
import { mixedText } from "./text.ts";
import { DfaWasm } from "./wasm.ts";


/** CPU time of this process in ms (fairer than wall time on a busy machine). */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function measure(w: DfaWasm, blob: Uint8Array, text: Uint8Array, label: string): number {
  const d = w.put(blob);
  const t = w.put(text);
  if (w.x.isMatch(d, t, text.length)) throw new Error(`${label}: the text matches; pick text without secrets`);
  let reps = 1;
  let ms = 0;
  for (;;) {
    const t0 = cpuMs();
    w.x.isMatchRepeat(d, t, text.length, reps);
    ms = cpuMs() - t0;
    if (ms > 300) break;
    reps *= 2;
  }
  let best = Infinity;
  for (let k = 0; k < 5; k++) {
    const t0 = cpuMs();
    w.x.isMatchRepeat(d, t, text.length, reps);
    best = Math.min(best, (cpuMs() - t0) / reps);
  }
  w.x.free(t);
  w.x.free(d);
  const mbs = text.length / 1e6 / (best / 1000);
  console.log(`${label}: ${mbs.toFixed(0)} MB/s (${(best * 1e6 / text.length).toFixed(2)} ns/byte)`);
  return mbs;
}

const text = mixedText(1 << 20);
const w = new DfaWasm();
const single = compileRegex(DLP_PATTERNS[7]);
if (isMatch(single.forward, text)) throw new Error("text matches");
measure(w, single.forward, text, "email pattern, forward DFA");
measure(w, compileAnyOf([DLP_PATTERNS[7]]), text, "email pattern, any-of DFA of one pattern");
measure(w, compileRegex(DLP_PATTERNS[0]).forward, text, "AWS key pattern, forward DFA");
const t0 = performance.now();
const any = compileAnyOf(DLP_PATTERNS);
console.log(`any-of of ${DLP_PATTERNS.length} patterns: ${new DataView(any.buffer).getUint32(12, true)} states, ${any.length} bytes, compiled in ${(performance.now() - t0).toFixed(0)} ms`);
measure(w, any, text, `any-of of ${DLP_PATTERNS.length} DLP patterns`);
