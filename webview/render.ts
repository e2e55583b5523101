/**
 * @file Draws our three rich outputs: vega-lite plots (interactive, with the embed menu's
 * SVG/PNG export), sharding grids (one tile per shard, sized by its extent, coloured per device),
 * and benchmark bars (median with min–max whiskers, speed-up labels, a log-scale toggle).
 * Shared by the notebook renderer, the benchmark panel and the HTML report; nothing is loaded
 * from the network.
 */

import embed from "vega-embed";
import { benchmarkSpec, type BenchmarkResult } from "./benchmark-spec.js";

export const MIME_VEGALITE = "application/vnd.vegalite.v5+json";
export const MIME_SHARDING = "application/vnd.jaxnb.sharding+json";
export const MIME_BENCHMARK = "application/vnd.jaxnb.benchmark+json";

export interface ShardingData {
  shape: number[];
  mesh: { axis_names: string[]; shape: number[] };
  spec: (string | string[] | null)[];
  devices: string[];
  tiles: { device: number | number[]; index: [number, number][] }[];
}

const isDark = (): boolean =>
  typeof document !== "undefined" && (document.body.classList.contains("vscode-dark") || document.body.classList.contains("vscode-high-contrast"));

export function renderItem(mime: string, data: unknown, el: HTMLElement): void {
  el.innerHTML = "";
  try {
    if (mime === MIME_VEGALITE) renderPlot(data as object, el);
    else if (mime === MIME_SHARDING) renderSharding(data as ShardingData, el);
    else if (mime === MIME_BENCHMARK) renderBenchmark(data as BenchmarkResult, el);
    else throw new Error(`jaxnb renderer: unknown MIME type ${mime}`);
  } catch (e) {
    const pre = document.createElement("pre");
    pre.className = "jaxnb-error";
    pre.textContent = `Could not render this output: ${(e as Error).message}`;
    el.appendChild(pre);
  }
}

export function renderPlot(spec: object, el: HTMLElement): Promise<unknown> {
  const host = document.createElement("div");
  host.className = "jaxnb-plot";
  // Room for the embed menu's button, so it does not sit on the legend (the notebook's output
  // styles override vega-embed's own padding).
  host.style.paddingRight = "38px";
  el.appendChild(host);
  return embed(host, spec as never, {
    // Vega's expression interpreter instead of compiling expressions with `new Function`: webviews
    // with a strict Content Security Policy (the benchmark panel) forbid 'unsafe-eval'.
    ast: true,
    actions: { export: true, source: false, compiled: false, editor: false },
    theme: isDark() ? "dark" : undefined,
    tooltip: true,
    renderer: "svg",
  }).catch((e: Error) => {
    host.textContent = `Could not render the plot: ${e.message}`;
  });
}

/** Distinct, readable colours for up to 12 devices (then they repeat). */
const PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295"];

export function renderSharding(d: ShardingData, el: HTMLElement): void {
  const rows = d.shape.length >= 2 ? d.shape[0] : 1;
  const cols = d.shape.length >= 2 ? d.shape[1] : d.shape.length === 1 ? d.shape[0] : 1;
  const grid = document.createElement("div");
  grid.className = "jaxnb-sharding";
  const width = Math.min(640, Math.max(240, cols));
  const height = d.shape.length >= 2 ? Math.min(320, Math.max(80, Math.round((width * rows) / Math.max(cols, 1)))) : 60;
  Object.assign(grid.style, { position: "relative", width: `${width}px`, height: `${height}px`, fontFamily: "var(--vscode-editor-font-family, monospace)" });
  for (const t of d.tiles) {
    const [r0, r1] = d.shape.length >= 2 ? t.index[0] : [0, 1];
    const [c0, c1] = d.shape.length >= 2 ? t.index[1] : d.shape.length === 1 ? t.index[0] : [0, 1];
    const devs = Array.isArray(t.device) ? t.device : [t.device];
    const tile = document.createElement("div");
    tile.className = "jaxnb-tile";
    const label = labelFor(devs, d.devices);
    tile.textContent = label;
    tile.title = `${label}: rows ${r0}:${r1}, columns ${c0}:${c1}`;
    Object.assign(tile.style, {
      position: "absolute",
      left: `${(c0 / cols) * 100}%`, width: `${((c1 - c0) / cols) * 100}%`,
      top: `${(r0 / rows) * 100}%`, height: `${((r1 - r0) / rows) * 100}%`,
      background: PALETTE[devs[0] % PALETTE.length], color: "#fff", boxSizing: "border-box",
      border: "1px solid rgba(0,0,0,0.35)", display: "flex", alignItems: "center", justifyContent: "center",
      fontSize: "13px", overflow: "hidden", textAlign: "center",
    });
    grid.appendChild(tile);
  }
  const caption = document.createElement("div");
  caption.className = "jaxnb-sharding-caption";
  const spec = d.spec.map((s) => (s === null ? "None" : Array.isArray(s) ? `(${s.map((x) => `'${x}'`).join(", ")})` : `'${s}'`)).join(", ");
  caption.textContent = `shape (${d.shape.join(", ")}) · mesh ${d.mesh.axis_names.map((n, i) => `${n}=${d.mesh.shape[i]}`).join(", ")} · PartitionSpec(${spec})`;
  Object.assign(caption.style, { marginTop: "6px", opacity: "0.8", fontSize: "12px" });
  el.appendChild(grid);
  el.appendChild(caption);
}

/** `CPU 0`, or `CPU 0,1` for a replicated shard (JAX's label). */
export function labelFor(devs: number[], names: string[]): string {
  const kind = (names[devs[0]] ?? "CPU").replace(/\s*\d+$/, "");
  return `${kind} ${devs.map((i) => (names[i] ?? `${i}`).replace(/^\D*/, "")).join(",")}`;
}

export function renderBenchmark(r: BenchmarkResult, el: HTMLElement): void {
  const bar = document.createElement("div");
  const toggle = document.createElement("button");
  toggle.className = "jaxnb-logscale";
  toggle.textContent = "Log scale";
  let log = false;
  const host = document.createElement("div");
  const draw = (): void => {
    host.innerHTML = "";
    void renderPlot(benchmarkSpec(r, { log }), host);
  };
  toggle.onclick = () => {
    log = !log;
    toggle.textContent = log ? "Linear scale" : "Log scale";
    draw();
  };
  bar.appendChild(toggle);
  el.appendChild(bar);
  el.appendChild(host);
  draw();
}
