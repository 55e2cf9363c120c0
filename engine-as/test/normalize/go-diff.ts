// Differential check of the engine's normalizeName against aip-go's pipeline run by Go itself
// (engine-as/test/normalize/go: x/text v0.33.0 and Go's unicode tables). Needs a Go toolchain and the
// x/text module (fetched through the Go module proxy on first use); not part of `npm test`.
//
//   npx tsx engine-as/test/normalize/go-diff.ts [strings=100000]
//
// Every code point goes through both, then random strings. Differences are sorted into
//   - characters Go's Unicode version does not know (Go drops them as unassigned),
//   - cases where the engine agrees with the JS reference (standard NFKC) and Go does not,
// and anything else fails the run.

import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Harness } from "./wasm.ts";
import { referenceNormalize } from "./reference.ts";

const goDir = join(dirname(fileURLToPath(import.meta.url)), "go");
const bin = join(mkdtempSync(join(tmpdir(), "namediff-")), "namediff");
execFileSync("go", ["build", "-o", bin, "."], { cwd: goDir, stdio: "inherit" });

const h = new Harness();
const hex = (s: string) => Buffer.from(s, "utf8").toString("hex");
const cps = (s: string) => Array.from(s, (c) => c.codePointAt(0)!.toString(16)).join(" ");

// 1. Every code point.
const lines = execFileSync(bin, ["all"], { maxBuffer: 1 << 30 }).toString().trim().split("\n");
const goVersion = lines.shift()!.split(" ")[1];
const unknownToGo = new Set<number>();
const names: string[] = [];
const goOut: string[] = [];
for (const line of lines) {
  const [c, assigned, out = ""] = line.split(" ");
  const cp = parseInt(c, 16);
  if (assigned === "0") unknownToGo.add(cp);
  names.push(String.fromCodePoint(cp));
  goOut.push(out);
}
let newChars = 0;
let xtextOnly = 0;
let unexplained = 0;
const report: string[] = [];
function compare(name: string, ours: string, go: string): void {
  if (hex(ours) === go) return;
  if (Array.from(name).some((c) => unknownToGo.has(c.codePointAt(0)!))) {
    newChars++;
    return;
  }
  const standard = ours === referenceNormalize(name);
  if (standard) xtextOnly++;
  else unexplained++;
  if (report.length < 40) {
    const goText = Buffer.from(go, "hex").toString("utf8");
    report.push(`${standard ? "x/text only" : "UNEXPLAINED"}: [${cps(name)}] engine [${cps(ours)}] go [${cps(goText)}]`);
  }
}
const ours = h.normalizeMany(names);
names.forEach((n, i) => compare(n, ours[i], goOut[i]));
const cpNew = newChars;

// 2. Random strings over code points where normalization has work to do, plus long mark runs.
const count = Number(process.argv[2] ?? 100000);
let seed = 0x9e3779b9;
const rand = (n: number) => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
};
const interesting = names
  .map((s) => s.codePointAt(0)!)
  .filter((c) => {
    const s = String.fromCodePoint(c);
    return s.normalize("NFKD") !== s || /\p{M}|\p{Lu}|\s|\p{Cf}/u.test(s) || (c >= 0x1100 && c < 0x1200);
  });
const strings: string[] = [];
for (let n = 0; n < count; n++) {
  const len = 1 + rand(n % 8 === 0 ? 80 : 12);
  const s: number[] = [];
  for (let i = 0; i < len; i++) s.push(rand(3) ? interesting[rand(interesting.length)] : 0x20 + rand(95));
  strings.push(String.fromCodePoint(...s));
}
for (let run = 28; run < 70; run++) {
  for (const mark of ["\u0301", "\u0305", "\u0344", "\u11A8", "\u0F73", "\u{1D160}"]) strings.push("a" + mark.repeat(run) + "b");
}
const goStrings = execFileSync(bin, { input: strings.map(hex).join("\n") + "\n", maxBuffer: 1 << 30 })
  .toString()
  .split("\n");
const oursStrings = h.normalizeMany(strings);
strings.forEach((s, i) => compare(s, oursStrings[i], goStrings[i]));

console.log(`Go unicode ${goVersion}, engine tables from Node ${process.version} (Unicode ${process.versions.unicode})`);
console.log(`${names.length} code points: ${cpNew} differ only because Go does not know the character`);
console.log(`${strings.length} strings: ${newChars - cpNew} contain such characters`);
console.log(`${xtextOnly} differences where the engine gives standard NFKC (as JS) and x/text does not`);
console.log(report.join("\n"));
if (unexplained) {
  console.log(`${unexplained} unexplained differences`);
  process.exit(1);
}
