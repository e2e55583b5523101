/**
 * @file The benchmark chart as a vega-lite spec: bars of median time per method (Baseline / JIT
 * / Sharding / Sharding + JIT) grouped by backend, min–max whiskers, the speed-up over the
 * baseline of the same backend written on each bar.
 */

export interface BenchmarkRun {
  method: string;
  backend: string;
  devices: number;
  times_ms: number[];
  median_ms: number;
}
export interface BenchmarkResult {
  function: string;
  size: number;
  runs: BenchmarkRun[];
  compile_ms?: Record<string, number>;
  error?: string;
}

export const METHODS = ["Baseline", "JIT", "Sharding", "Sharding + JIT"];

export function benchmarkRows(r: BenchmarkResult): Record<string, unknown>[] {
  return r.runs.map((run) => {
    const base = r.runs.find((b) => b.backend === run.backend && b.method === "Baseline");
    const speedup = base ? base.median_ms / run.median_ms : 1;
    return {
      method: run.method,
      backend: run.backend,
      devices: run.devices,
      median: run.median_ms,
      min: Math.min(...run.times_ms),
      max: Math.max(...run.times_ms),
      speedup,
      label: `${speedup.toFixed(1)}×`,
    };
  });
}

export function benchmarkSpec(r: BenchmarkResult, opts: { log?: boolean } = {}): object {
  const y = { field: "median", type: "quantitative", title: "median time (ms)", scale: { type: opts.log ? "log" : "linear" } };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: `${r.function} on ${r.size.toLocaleString("en-US")} points`,
    data: { values: benchmarkRows(r) },
    width: { step: 48 },
    height: 260,
    encoding: {
      x: { field: "method", type: "nominal", sort: METHODS, title: null, axis: { labelAngle: 0 } },
      xOffset: { field: "backend", type: "nominal" },
    },
    layer: [
      {
        mark: { type: "bar", tooltip: true },
        encoding: {
          y,
          color: { field: "backend", type: "nominal", title: "backend" },
          tooltip: [
            { field: "method" }, { field: "backend" }, { field: "devices" },
            { field: "median", format: ".3f", title: "median (ms)" }, { field: "min", format: ".3f" },
            { field: "max", format: ".3f" }, { field: "speedup", format: ".2f", title: "speed-up" },
          ],
        },
      },
      { mark: { type: "rule" }, encoding: { y: { field: "min", type: "quantitative", scale: y.scale }, y2: { field: "max" } } },
      {
        mark: { type: "text", dy: -8, fontSize: 11 },
        encoding: { y: { field: "max", type: "quantitative", scale: y.scale }, text: { field: "label" } },
      },
    ],
  };
}
