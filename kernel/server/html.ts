/**
 * @file The HTML report of an executed notebook (`jaxnb run --html`): one self-contained file —
 * styles and vega-embed inlined, nothing fetched — showing markdown, code and every output:
 * plots drawn by vega-embed, sharding grids, benchmark bars, images, text and tracebacks.
 */

import { MIME, type MimeBundle } from "./protocol.js";
import { type Notebook, type Output, sourceText } from "./notebook.js";

const escapeHtml = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** A small Markdown subset: headings, paragraphs, lists, code, emphasis, links, block quotes. */
export function markdownToHtml(md: string): string {
  const inline = (s: string): string =>
    escapeHtml(s)
      .replace(/`([^`]+)`/g, "<code>$1</code>")
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|[^*])\*([^*]+)\*/g, "$1<em>$2</em>")
      .replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, '<a href="$2">$1</a>');
  const out: string[] = [];
  const lines = md.split("\n");
  for (let i = 0; i < lines.length; ) {
    const line = lines[i];
    if (line.startsWith("```")) {
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].startsWith("```"); i++) body.push(lines[i]);
      i++;
      out.push(`<pre><code>${escapeHtml(body.join("\n"))}</code></pre>`);
      continue;
    }
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) {
      out.push(`<h${h[1].length}>${inline(h[2])}</h${h[1].length}>`);
      i++;
      continue;
    }
    const listItem = /^\s*(?:[-*+]|\d+\.)\s+(.*)$/;
    if (listItem.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const items: string[] = [];
      for (; i < lines.length && listItem.test(lines[i]); i++) items.push(`<li>${inline(listItem.exec(lines[i])![1])}</li>`);
      out.push(ordered ? `<ol>${items.join("")}</ol>` : `<ul>${items.join("")}</ul>`);
      continue;
    }
    if (line.startsWith(">")) {
      const quote: string[] = [];
      for (; i < lines.length && lines[i].startsWith(">"); i++) quote.push(lines[i].replace(/^>\s?/, ""));
      out.push(`<blockquote>${inline(quote.join(" "))}</blockquote>`);
      continue;
    }
    if (line.trim() === "") {
      i++;
      continue;
    }
    const para: string[] = [];
    for (; i < lines.length && lines[i].trim() !== "" && !/^(#{1,6}\s|```|>)/.test(lines[i]) && !listItem.test(lines[i]); i++) para.push(lines[i]);
    out.push(`<p>${inline(para.join(" "))}</p>`);
  }
  return out.join("\n");
}

interface ShardingTile {
  device: number | number[] | string;
  index: ([number, number] | null)[];
}

/** The device grid of `visualize_array_sharding`: one tile per shard, placed by its index. */
function shardingHtml(spec: { shape: number[]; tiles: ShardingTile[] }): string {
  const starts = (d: number): number[] => [...new Set(spec.tiles.map((t) => t.index[d]?.[0] ?? 0))].sort((a, b) => a - b);
  const rows = spec.shape.length >= 2 ? starts(0) : [0];
  const cols = spec.shape.length >= 2 ? starts(1) : spec.shape.length === 1 ? starts(0) : [0];
  const label = (d: ShardingTile["device"]): string => (Array.isArray(d) ? `CPU ${d.join(",")}` : typeof d === "number" ? `CPU ${d}` : d);
  const cells = spec.tiles.map((t) => {
    const r = spec.shape.length >= 2 ? rows.indexOf(t.index[0]?.[0] ?? 0) : 0;
    const c = spec.shape.length >= 2 ? cols.indexOf(t.index[1]?.[0] ?? 0) : spec.shape.length === 1 ? cols.indexOf(t.index[0]?.[0] ?? 0) : 0;
    return `<div class="tile" style="grid-row:${r + 1};grid-column:${c + 1}">${escapeHtml(label(t.device))}</div>`;
  });
  return `<div class="sharding" style="grid-template-columns:repeat(${cols.length},1fr)">${cells.join("")}</div>`;
}

interface BenchmarkResult {
  function: string;
  size: number;
  runs: { method: string; backend: string; devices: number; median_ms: number }[];
}

/** Benchmark bars as a vega-lite spec: median time per method, one colour per backend. */
function benchmarkSpec(b: BenchmarkResult): unknown {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: `${b.function} on ${b.size} elements`,
    data: { values: b.runs.map((r) => ({ method: r.method, backend: r.backend, median_ms: r.median_ms })) },
    mark: "bar",
    encoding: {
      x: { field: "method", type: "nominal", sort: null, title: null },
      xOffset: { field: "backend" },
      y: { field: "median_ms", type: "quantitative", title: "median time (ms)" },
      color: { field: "backend", type: "nominal" },
      tooltip: [{ field: "method" }, { field: "backend" }, { field: "median_ms", format: ".2f" }],
    },
  };
}

class Renderer {
  private plots: { id: string; spec: unknown }[] = [];

  private vega(spec: unknown): string {
    const id = `vis${this.plots.length}`;
    this.plots.push({ id, spec });
    return `<div class="vega" id="${id}"></div>`;
  }

  data(bundle: MimeBundle): string {
    const text = (k: string): string => sourceText(bundle[k] as string | string[]);
    if (bundle[MIME.vegalite]) return this.vega(bundle[MIME.vegalite]);
    if (bundle[MIME.sharding]) {
      const s = bundle[MIME.sharding] as { shape?: number[]; tiles?: ShardingTile[] };
      if (Array.isArray(s.shape) && Array.isArray(s.tiles)) return shardingHtml(s as { shape: number[]; tiles: ShardingTile[] });
    }
    if (bundle[MIME.benchmark]) return this.vega(benchmarkSpec(bundle[MIME.benchmark] as BenchmarkResult));
    if (bundle[MIME.html]) return `<div class="html">${text(MIME.html)}</div>`;
    if (bundle[MIME.svg]) return `<div class="image">${text(MIME.svg)}</div>`;
    if (bundle[MIME.png]) return `<div class="image"><img src="data:image/png;base64,${text(MIME.png)}"></div>`;
    if (bundle["text/markdown"]) return markdownToHtml(text("text/markdown"));
    return `<pre>${escapeHtml(text(MIME.text))}</pre>`;
  }

  output(o: Output): string {
    switch (o.output_type) {
      case "stream": return `<pre class="stream ${o.name}">${escapeHtml(sourceText(o.text))}</pre>`;
      case "error": return `<pre class="error">${escapeHtml(o.traceback.join("\n"))}</pre>`;
      default: return this.data(o.data);
    }
  }

  script(vegaEmbedJs: string): string {
    if (this.plots.length === 0) return "";
    const calls = this.plots.map((p) => `vegaEmbed(${JSON.stringify(`#${p.id}`)}, ${JSON.stringify(p.spec).replace(/</g, "\\u003c")}, {actions: {export: true, source: false, compiled: false, editor: false}});`);
    return `<script>${vegaEmbedJs.replace(/<\/script/gi, "<\\/script")}</script>\n<script>\n${calls.join("\n")}\n</script>`;
  }
}

const STYLE = `
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328; }
.cell { margin: 1rem 0; }
.code pre.source { background: #f6f8fa; border-left: 3px solid #4a7bd0; padding: .6rem .8rem; overflow-x: auto; }
.count { color: #6e7781; font: 12px monospace; }
pre { font-size: 13px; white-space: pre-wrap; margin: .3rem 0; }
pre.stderr { background: #fff8e1; }
pre.error { background: #ffebe9; color: #82071e; padding: .5rem; }
.sharding { display: grid; gap: 2px; max-width: 40rem; }
.sharding .tile { border: 1px solid #444; padding: 1rem .5rem; text-align: center; font: 14px monospace; background: #e8f0fe; }
`;

/** The whole report as one HTML document. */
export function notebookToHtml(nb: Notebook, title: string, vegaEmbedJs: string): string {
  const r = new Renderer();
  const cells = nb.cells.map((c) => {
    const src = sourceText(c.source);
    if (c.cell_type === "markdown") return `<div class="cell markdown">${markdownToHtml(src)}</div>`;
    if (c.cell_type === "raw") return `<div class="cell raw"><pre>${escapeHtml(src)}</pre></div>`;
    const count = c.execution_count != null ? `<div class="count">In [${c.execution_count}]:</div>` : "";
    const outs = (c.outputs ?? []).map((o) => r.output(o)).join("\n");
    return `<div class="cell code">${count}<pre class="source"><code>${escapeHtml(src)}</code></pre>\n<div class="outputs">${outs}</div></div>`;
  });
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
<h1 class="title">${escapeHtml(title)}</h1>
${cells.join("\n")}
${r.script(vegaEmbedJs)}
</body></html>
`;
}
