// Parses every Mermaid block of the Markdown files given with Mermaid's own
// parser (in jsdom, as Mermaid needs a DOM), printing each failure with its
// file and block number. Exits 1 if any block fails.
//   node scripts/docs/parse.mjs FILE.md...
import { JSDOM } from "jsdom";
import fs from "node:fs";

const dom = new JSDOM("<!doctype html><html><body></body></html>", { pretendToBeVisual: true });
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const k of ["Element", "HTMLElement", "SVGElement", "Node", "DOMParser", "XMLSerializer", "MutationObserver"]) {
  globalThis[k] = dom.window[k];
}
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

let failed = 0;
let count = 0;
for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, "utf8");
  const blocks = [...text.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
  for (const [i, block] of blocks.entries()) {
    count++;
    try {
      await mermaid.parse(block);
    } catch (e) {
      failed++;
      const why = String(e.message || e).split("\n").slice(0, 4).join(" | ");
      console.log(`${file} block ${i + 1}: ${why}`);
    }
  }
}
console.log(`${count - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
