// Time per normalizeName call on the test harness (build/test/normalize.wasm, -O2), input already in engine
// memory: called from Node once per name, and called in a loop inside Wasm (no JS-to-Wasm call).
// Run: npx tsx engine-as/test/normalize/bench.ts

import { Harness } from "./wasm.ts";

const names: [label: string, name: string][] = [
  ["ASCII", "read_file"],
  ["ASCII, upper case, spaces", "  Read_File  "],
  ["ASCII, 65 bytes", "github_create_or_update_file_contents_in_repository_main_branch_x"],
  ["accented Latin", "créer_fichier"],
  ["fullwidth", "ｒｅａｄ＿ｆｉｌｅ"],
  ["ligature", "ﬁle_read"],
  ["Cyrillic", "прочитать_файл"],
  ["CJK", "读取文件"],
  ["Hangul", "파일_읽기"],
  ["zero-width space", "read\u200Bfile"],
];

const h = new Harness();
const { normalize, repeat } = h.x;
const best = (f: () => number) => Math.min(f(), f(), f(), f(), f());
console.log(`normalizeName, Node ${process.version}: ns per call from Node / inside Wasm`);
for (const [label, name] of names) {
  const input = Buffer.from(name, "utf8");
  h.bytes.set(input, h.src);
  const { src, dst } = h;
  const len = input.length;
  const fromNode = () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 200_000; i++) normalize(src, len, dst);
    return Number(process.hrtime.bigint() - t0) / 200_000;
  };
  const inWasm = () => {
    const t0 = process.hrtime.bigint();
    repeat(src, len, dst, 200_000);
    return Number(process.hrtime.bigint() - t0) / 200_000;
  };
  fromNode(); // warm up
  inWasm();
  const a = best(fromNode).toFixed(1).padStart(6);
  const b = best(inWasm).toFixed(1).padStart(6);
  console.log(`${label.padEnd(26)} ${String(len).padStart(3)} B ${a} ${b}   ${JSON.stringify(h.normalize(name))}`);
}
