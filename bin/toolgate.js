#!/usr/bin/env node
// The `toolgate` command: the bundled CLI built by `npm run build` (build/cli.mjs).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const cli = fileURLToPath(new URL("../build/cli.mjs", import.meta.url));
if (!existsSync(cli)) {
  process.stderr.write("toolgate: not built yet: run `npm install` (or `npm run build`) in the toolgate directory\n");
  process.exit(2);
}
const { main } = await import(cli);
process.exitCode = await main(process.argv.slice(2));
