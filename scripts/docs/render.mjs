// Draws every Mermaid block of a Markdown file in headless Chromium (the
// Mermaid bundle from node_modules, no network) and prints how many became
// an SVG diagram and how many Mermaid drew as an error. Exits 1 unless
// every block is a diagram.
//   node scripts/docs/render.mjs FILE.md
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const bundle = path.join(here, "node_modules", "mermaid", "dist", "mermaid.min.js");
const file = process.argv[2];
const blocks = [...fs.readFileSync(file, "utf8").matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
const escape = (s) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const html = `<!doctype html><html><head><meta charset="utf-8"><script src="file://${bundle}"></script></head><body>
${blocks.map((b) => `<pre class="mermaid">${escape(b)}</pre>`).join("\n")}
<script>
mermaid.initialize({ startOnLoad: false });
mermaid.run({ querySelector: "pre.mermaid", suppressErrors: true }).then(() => { document.body.dataset.done = "yes"; });
</script></body></html>`;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gantry-docs-"));
const page = path.join(dir, "doc.html");
fs.writeFileSync(page, html);
const browser = process.env.CHROMIUM || "chromium";
const dom = execFileSync(
  browser,
  ["--headless", "--no-sandbox", "--disable-gpu", "--allow-file-access-from-files", "--virtual-time-budget=30000", "--dump-dom", `file://${page}`],
  { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, stdio: ["ignore", "pipe", "ignore"] },
);
fs.rmSync(dir, { recursive: true, force: true });
const drawn = (dom.match(/<pre class="mermaid"[^>]*>\s*<svg /g) || []).length;
const errors = (dom.match(/Syntax error in text/g) || []).length;
const done = dom.includes('data-done="yes"');
console.log(`${file}: ${blocks.length} blocks, ${drawn} drawn, ${errors} errors${done ? "" : ", rendering did not finish"}`);
process.exit(drawn === blocks.length && errors === 0 && done ? 0 : 1);
