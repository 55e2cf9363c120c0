#!/usr/bin/env node
// The MCP server behind the proxy in `toolgate conformance --host stdio`. It reports every line it receives
// (a notifications/message naming the id and method it read), so the driver sees what was forwarded, and
// answers requests: initialize properly; a request whose id is in the answer file with the file's exact
// text (the server message a response vector describes); anything else with a small result.
//   node stdio-upstream.mjs <answer-file>      answer file: {"id": <request id>, "text": "<raw answer>"}
import { existsSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";

const answerFile = process.argv[2];
const write = (text) => process.stdout.write(text + "\n");
const send = (msg) => write(JSON.stringify(msg));

function cannedAnswer(id) {
  if (!answerFile || !existsSync(answerFile)) return null;
  const a = JSON.parse(readFileSync(answerFile, "utf8"));
  return JSON.stringify(a.id) === JSON.stringify(id) ? a.text : null;
}

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    msg = undefined;
  }
  const obj = msg !== null && typeof msg === "object" && !Array.isArray(msg) ? msg : {};
  // The report is written in member names and numbers, which DLP leaves alone (it redacts string values), so
  // a vector's DLP pattern cannot garble it.
  send({
    jsonrpc: "2.0",
    method: "notifications/message",
    params: { data: { "toolgate-upstream-received": { [`id=${JSON.stringify(obj.id ?? null)}`]: 1, [`method=${obj.method ?? ""}`]: 1, bytes: Buffer.byteLength(line) } } },
  });
  if (!("id" in obj) || typeof obj.method !== "string") continue; // notifications and responses get no answer
  if (obj.method === "initialize") {
    send({
      jsonrpc: "2.0",
      id: obj.id,
      result: { protocolVersion: obj.params?.protocolVersion ?? "2025-06-18", capabilities: { tools: {} }, serverInfo: { name: "toolgate-conformance-upstream", version: "1.0.0" } },
    });
    continue;
  }
  const canned = cannedAnswer(obj.id);
  if (canned !== null) write(canned);
  else send({ jsonrpc: "2.0", id: obj.id, result: { content: [{ type: "text", text: "upstream answered" }] } });
}
