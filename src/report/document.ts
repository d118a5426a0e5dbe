/**
 * The report as a list of sections of plain blocks, rendered once to Markdown and once
 * to self-contained HTML (inline CSS and SVG, no network). All text is escaped for HTML here.
 */
import { relative } from "node:path";
import type { Plot } from "./plots.js";

export type Block =
  | { p: string }
  | { list: string[] }
  | { table: { head: string[]; rows: string[][] } }
  | { pre: string }
  | { plot: Plot }
  | { note: string }
  /** A file, linked by a path relative to the report. */
  | { link: { label: string; path: string } };

export interface Section {
  title: string;
  blocks: Block[];
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

const mdCell = (s: string) => s.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
/** A path relative to the report's folder, with forward slashes. */
const rel = (from: string, path: string) => relative(from, path).split("\\").join("/") || ".";

export function renderMarkdown(title: string, sections: Section[], reportDir: string): string {
  const out = [`# ${title}`, ""];
  for (const s of sections) {
    out.push(`## ${s.title}`, "");
    for (const b of s.blocks) {
      if ("p" in b) out.push(b.p);
      else if ("note" in b) out.push(`_${b.note}_`);
      else if ("list" in b) out.push(...b.list.map((x) => `- ${x}`));
      else if ("pre" in b) out.push("```", b.pre, "```");
      else if ("plot" in b) out.push(`_Plot: ${b.plot.title} (in report.html)._`);
      else if ("link" in b) out.push(`${b.link.label}: [${rel(reportDir, b.link.path)}](${encodeURI(rel(reportDir, b.link.path))})`);
      else out.push(`| ${b.table.head.map(mdCell).join(" | ")} |`, `|${b.table.head.map(() => "---").join("|")}|`, ...b.table.rows.map((r) => `| ${r.map(mdCell).join(" | ")} |`));
      out.push("");
    }
  }
  return out.join("\n");
}

const CSS = `body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.8em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}th,td{border:1px solid #ddd;padding:.25em .6em;text-align:left;vertical-align:top}
th{background:#f5f5f5}pre{background:#f7f7f7;padding:.8em;overflow-x:auto;font-size:.85em}
figure{display:inline-block;margin:.5em 1.5em .5em 0;vertical-align:top}figcaption{font-weight:600;margin-bottom:.3em}
.note{color:#666;font-style:italic}nav a{margin-right:.8em}
@media print{@page{size:A4;margin:15mm}body{max-width:none;margin:0;font-size:10pt;color:#000}nav{display:none}
h2{break-after:avoid;page-break-after:avoid}table,figure,pre{break-inside:avoid;page-break-inside:avoid}
pre{white-space:pre-wrap;background:none;border:1px solid #ccc}a{color:#000;text-decoration:none}
th{background:#eee;-webkit-print-color-adjust:exact;print-color-adjust:exact}svg{max-width:100%;height:auto}}`;

export function renderHtml(title: string, sections: Section[], reportDir: string): string {
  const body: string[] = [`<h1>${escapeHtml(title)}</h1>`];
  body.push(`<nav>${sections.map((s, i) => `<a href="#s${i}">${escapeHtml(s.title)}</a>`).join(" ")}</nav>`);
  sections.forEach((s, i) => {
    body.push(`<h2 id="s${i}">${escapeHtml(s.title)}</h2>`);
    for (const b of s.blocks) {
      if ("p" in b) body.push(`<p>${escapeHtml(b.p)}</p>`);
      else if ("note" in b) body.push(`<p class="note">${escapeHtml(b.note)}</p>`);
      else if ("list" in b) body.push(`<ul>${b.list.map((x) => `<li>${escapeHtml(x)}</li>`).join("")}</ul>`);
      else if ("pre" in b) body.push(`<pre>${escapeHtml(b.pre)}</pre>`);
      // vega's SVG renderer escapes the text it draws; the SVG is inlined as is.
      else if ("plot" in b) body.push(`<figure><figcaption>${escapeHtml(b.plot.title)}</figcaption>${b.plot.svg}</figure>`);
      else if ("link" in b) body.push(`<p>${escapeHtml(b.link.label)}: <a href="${escapeHtml(encodeURI(rel(reportDir, b.link.path)))}">${escapeHtml(rel(reportDir, b.link.path))}</a></p>`);
      else
        body.push(
          `<table><thead><tr>${b.table.head.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead><tbody>${b.table.rows
            .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`)
            .join("")}</tbody></table>`,
        );
    }
  });
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title><style>${CSS}</style></head>\n<body>\n${body.join("\n")}\n</body></html>\n`;
}
