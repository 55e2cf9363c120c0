// Deterministic "mixed" text for throughput measurements: prose, JSON, code, numbers, a little non-ASCII,
// and no secrets (so a scan reads everything).

import { rng } from "./random.ts";

const WORDS = (
  "the of and to in is that for it as with was on be by this are or from at an have not which but " +
  "tool call result server client request response policy agent file path read write list search " +
  "config value key name data content text type error message status token user session model query " +
  "function return const let import export async await string number object array null true false " +
  "déjà café naïve über façade résumé 東京 данные €100"
).split(" ");

export function mixedText(size: number, seed = 7): Uint8Array {
  const r = rng(seed);
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)];
  const parts: string[] = [];
  let n = 0;
  while (n < size) {
    const x = r();
    let s: string;
    if (x < 0.5) {
      const k = 5 + Math.floor(r() * 15);
      const w: string[] = [];
      for (let i = 0; i < k; i++) w.push(pick(WORDS));
      s = w.join(" ") + ". ";
    } else if (x < 0.75) {
      s = `{"${pick(WORDS)}": "${pick(WORDS)} ${pick(WORDS)}", "${pick(WORDS)}": ${Math.floor(r() * 100000)}, "ok": true}\n`;
    } else if (x < 0.9) {
      s = `  const ${pick(WORDS)}_${Math.floor(r() * 99)} = await ${pick(WORDS)}(${pick(WORDS)}, "${pick(WORDS)}/${pick(WORDS)}.txt");\n`;
    } else {
      s = `${Math.floor(r() * 1e6)} ${(r() * 1000).toFixed(2)} 2026-11-${10 + Math.floor(r() * 20)} v1.${Math.floor(r() * 9)}.${Math.floor(r() * 9)} `;
    }
    parts.push(s);
    n += Buffer.byteLength(s);
  }
  return new TextEncoder().encode(parts.join("")).subarray(0, size);
}
