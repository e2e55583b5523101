/**
 * @file The benchmark panel's script: the chart (same as the notebook renderer's), a table of
 * medians, min/max and speed-ups, the compile time of the first JIT call, and "Insert into
 * notebook".
 */

import { renderBenchmark } from "./render.js";
import { benchmarkRows, type BenchmarkResult } from "./benchmark-spec.js";

declare function acquireVsCodeApi(): { postMessage(m: unknown): void };

const vscode = acquireVsCodeApi();
const result = JSON.parse(document.getElementById("jaxnb-data")!.textContent!) as BenchmarkResult;
const root = document.getElementById("root")!;

const insert = document.createElement("button");
insert.id = "jaxnb-insert";
insert.textContent = "Insert into notebook";
insert.onclick = () => vscode.postMessage({ type: "insert" });
root.appendChild(insert);

const chart = document.createElement("div");
root.appendChild(chart);
renderBenchmark(result, chart);

const table = document.createElement("table");
table.className = "jaxnb-bench-table";
table.innerHTML = "<thead><tr><th>method</th><th>backend</th><th>devices</th><th>median ms</th><th>min ms</th><th>max ms</th><th>speed-up</th></tr></thead>";
const body = document.createElement("tbody");
for (const r of benchmarkRows(result)) {
  const tr = document.createElement("tr");
  for (const v of [r.method, r.backend, r.devices, (r.median as number).toFixed(3), (r.min as number).toFixed(3), (r.max as number).toFixed(3), r.label]) {
    const td = document.createElement("td");
    td.textContent = String(v);
    tr.appendChild(td);
  }
  body.appendChild(tr);
}
table.appendChild(body);
root.appendChild(table);

if (result.compile_ms) {
  const p = document.createElement("p");
  p.textContent = `Compile time of the first JIT call: ${Object.entries(result.compile_ms).map(([b, ms]) => `${b} ${ms.toFixed(1)} ms`).join(", ")}`;
  root.appendChild(p);
}
