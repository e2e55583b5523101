/**
 * @file Python programs run by `bin/jaxnb run`, their output checked: JAX's repr text, values
 * against NumPy/PyTorch references (test/fixtures/python.json), JAX's error kinds and messages,
 * exit codes, and what `--out`/`--html` write.
 */

import assert from "node:assert/strict";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { loadFixture } from "../util.js";
import { assertAllClose, flat, programs, readJson, root, runCli, tempDir } from "./run.js";

interface Fixture {
  reprs: { expr: string; repr: string }[];
  post: { x: number[]; f: number[]; df: number[] };
  transforms: Record<string, unknown>;
  histogram: { counts: number[]; edges: number[] };
}
const fx = loadFixture<Fixture>("python");

describe("jaxnb run: Python programs", function () {
  this.timeout(300_000);

  it("prints arrays exactly as JAX does (summarizing a 10⁶-element array)", async () => {
    const r = await runCli(["run", path.join(programs, "repr.py")]);
    assert.equal(r.code, 0, r.stderr);
    const sections = r.stdout.split(/^### /m).slice(1).map((s) => {
      const nl = s.indexOf("\n");
      return { expr: s.slice(0, nl), text: s.slice(nl + 1).replace(/\n$/, "") };
    });
    assert.deepEqual(sections.map((s) => s.expr), fx.reprs.map((c) => c.expr));
    sections.forEach((s, i) => assert.equal(s.text, fx.reprs[i].repr, s.expr));
  });

  it("computes the post's function, its derivative and transformations as NumPy/PyTorch do", async () => {
    const r = await runCli(["run", path.join(programs, "values.py")]);
    assert.equal(r.code, 0, r.stderr);
    const v = JSON.parse(r.stdout) as Record<string, unknown>;
    assertAllClose(v.post_f as number[], fx.post.f, "func(x)", 1e-5, 1e-5);
    assertAllClose(v.post_jit as number[], fx.post.f, "jit(func)(x)", 1e-5, 1e-5);
    // f' grows to ~8 where exp(x²)≈55 enters a cosine: float32 rounding of x² shows there.
    assertAllClose(v.post_df as number[], fx.post.df, "vmap(grad(func))(x)", 1e-4, 1e-3);
    const t = fx.transforms;
    for (const k of ["grad_sin_x2", "hessian", "jacobian", "softmax", "relu", "gelu", "scan_ys", "custom_vjp_grad"]) {
      assertAllClose(flat(v[k]), flat(t[k]), k, 1e-5, 1e-6);
    }
    assertAllClose(flat(v.jacrev), flat(t.jacobian), "jacrev", 1e-5, 1e-6);
    for (const k of ["logsumexp", "scan_carry", "fori", "while"]) assertAllClose([v[k] as number], [t[k] as number], k, 1e-6, 1e-6);
    // Threefry bit-exactness: JAX's own values for split(key(0), 3) (issue 2).
    assert.deepEqual(v.split, [[1797259609, 2579123966], [928981903, 3453687069], [4146024105, 2718843009]]);
  });

  it("raises JAX's errors with JAX's messages", async () => {
    const r = await runCli(["run", path.join(programs, "errors.py")]);
    assert.equal(r.code, 0, r.stderr);
    const lines = new Map(r.stdout.trim().split("\n").filter((l) => l.includes(" -> ")).map((l) => l.split(" -> ") as [string, string]));
    const expected: Record<string, string> = {
      "tracer bool": "jax.errors.TracerBoolConversionError: Attempted boolean conversion of traced array with shape bool[].",
      "tracer float": "jax.errors.ConcretizationTypeError: Abstract tracer value encountered where concrete value is expected: traced array with shape f32[]",
      "grad non-scalar": "TypeError: Gradient only defined for scalar-output functions. Output had shape: (3,).",
      "grad int input": "TypeError: grad requires real- or complex-valued inputs (input dtype that is a sub-dtype of np.inexact), but got int32. If you want to use Boolean- or integer-valued inputs, use vjp or set allow_int to True.",
      immutable: "TypeError: JAX arrays are immutable and do not support in-place item assignment. Instead of x[idx] = y, use x = x.at[idx].set(y) or another .at[] method: https://docs.jax.dev/en/latest/_autosummary/jax.numpy.ndarray.at.html",
      broadcast: "ValueError: Incompatible shapes for broadcasting: shapes=[(3,), (4,)]",
      reshape: "TypeError: cannot reshape array of shape (6,) (size 6) into shape (4, 2) (size 8)",
      "int overflow": "OverflowError: Python int 1099511627776 too large to convert to int32",
      "vmap sizes": "ValueError: vmap got inconsistent sizes for array axes to be mapped:",
      "vmap in_axes": "ValueError: vmap in_axes must be an int, None, or a tuple of entries corresponding to the positional arguments passed to the function, but got len(in_axes)=2, len(args)=1",
      "static unhashable": "ValueError: Non-hashable static arguments are not supported. An error occurred while trying to hash an object of type <class 'list'>, [1, 2]. The error was:",
      config: "AttributeError: Unrecognized config option: jax_no_such_option",
      "len scalar": "TypeError: len() of unsized object",
      "jvp structure": "TypeError: primal and tangent arguments to jax.jvp must have the same tree structure; primals have tree structure PyTreeDef((*,)) whereas tangents have tree structure PyTreeDef((*, *)).",
      "unknown jnp": "AttributeError: module 'jax.numpy' has no attribute 'no_such_function'",
      "plot kwarg": "TypeError: plot() got argument(s) that jaxnb's matplotlib does not support: 'wobble'",
    };
    for (const [name, want] of Object.entries(expected)) assert.equal(lines.get(name), want, name);
  });

  it("releases buffers when Python arrays die, but not those the runtime still uses", async () => {
    const r = await runCli(["run", path.join(programs, "memory.py")]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, [
      "released after del: True",
      "shared array kept while another Python array holds it: True [0.0, 1.0, 2.0]",
      "jit with a closed-over array: [2.0, 3.0, 4.0]",
      "constant kept for the jitted function: True [3.0, 4.0, 5.0]",
      "loop of temporaries: 1225.0",
      "vjp/linearize keep their primals: [4.0, 6.0, 8.0] [2.0, 4.0, 6.0]",
      "",
    ].join("\n"));
  });

  it("shards over CPU devices: shard_map with collectives, sharding constraints, jit shardings, shards, 2-D grids", async () => {
    const r = await runCli(["run", path.join(programs, "sharding.py")], { env: { JAX_PLATFORMS: "cpu" } });
    assert.equal(r.code, 0, r.stderr);
    const sum = (n: number): number => (n * (n - 1)) / 2;
    assert.equal(r.stdout, [
      `${sum(8).toFixed(1)}`,
      "[1. 1. 2. 2. 3. 3. 4. 4.]",
      "PartitionSpec('x',)",
      "[ 0.  2.  4.  6.  8. 10. 12. 14.]",
      `${sum(16).toFixed(1)} PartitionSpec('a', 'b') [24. 28. 32. 36.]`,
      // JAX's table without colours, cells sized from the blocks' extents as JAX sizes them.
      "┌──────────┬──────────┐",
      "│          │          │",
      "│  CPU 0   │  CPU 1   │",
      "│          │          │",
      "│          │          │",
      "├──────────┼──────────┤",
      "│          │          │",
      "│  CPU 2   │  CPU 3   │",
      "│          │          │",
      "│          │          │",
      "└──────────┴──────────┘",
      "[ 0.  2.  4.  6.  8. 10. 12. 14.] PartitionSpec()",
      "[(0, (slice(0, 1, None),), [0.0]), (1, (slice(1, 2, None),), [1.0]), (2, (slice(2, 3, None),), [2.0]), (3, (slice(3, 4, None),), [3.0])]",
      "",
    ].join("\n"));
  });

  it("exits 1 on an uncaught error, the traceback pointing at the file's lines without internal frames", async () => {
    const dir = tempDir();
    const file = path.join(dir, "fails.py");
    writeFileSync(file, "# %%\nimport jax\n\n# %%\n@jax.jit\ndef f(x):\n    if x > 0:\n        return x\n    return -x\n\nf(2.0)\nprint('not reached')\n");
    const r = await runCli(["run", file, "--out", path.join(dir, "out.jaxnb")]);
    assert.equal(r.code, 1);
    assert.ok(!r.stdout.includes("not reached"));
    assert.match(r.stderr, new RegExp(`File "${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}", line 11, in <module>`));
    assert.match(r.stderr, /line 7, in f\n\s+if x > 0:/);
    assert.match(r.stderr, /jax\.errors\.TracerBoolConversionError: Attempted boolean conversion/);
    assert.ok(!/\/jaxnb\/python\/|worker\.js/.test(r.stderr), `internal frames shown:\n${r.stderr}`);
    // The executed notebook is still written, with the error as the failing cell's output.
    const nb = readJson<{ cells: { outputs?: { output_type: string; ename?: string }[] }[] }>(path.join(dir, "out.jaxnb"));
    assert.equal(nb.cells[1].outputs?.[0]?.ename, "TracerBoolConversionError");
  });

  it("reports a syntax error with its line, and runs no cell after it", async () => {
    const dir = tempDir();
    const file = path.join(dir, "syntax.py");
    writeFileSync(file, "# %%\nprint('first')\n# %%\nx = (1 +\n# %%\nprint('third')\n");
    const r = await runCli(["run", file]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "first\n");
    assert.match(r.stderr, /line 4/);
    assert.match(r.stderr, /SyntaxError/);
  });

  it("exits 2, writing nothing, for bad arguments and unreadable or invalid notebooks", async () => {
    const dir = tempDir();
    const out = path.join(dir, "out.jaxnb");
    const bad = path.join(dir, "bad.jaxnb");
    writeFileSync(bad, "{ not json");
    const old = path.join(dir, "old.ipynb");
    writeFileSync(old, JSON.stringify({ nbformat: 3, worksheets: [] }));
    const cases: [string[], RegExp][] = [
      [["frobnicate"], /unknown command/],
      [["run"], /run needs a FILE/],
      [["run", path.join(dir, "missing.py")], /no such file/],
      [["run", bad, "--out", out], /not valid JSON/],
      [["run", old, "--out", out], /not an nbformat 4 notebook/],
      [["run", path.join(programs, "repr.py"), "--bogus"], /unknown option --bogus/],
      [["run", path.join(programs, "repr.py"), "--out", path.join(dir, "no/such/dir/x.jaxnb")], /does not exist/],
    ];
    for (const [args, msg] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, msg);
    }
    assert.ok(!existsSync(out), "nothing is written");
    assert.equal(readFileSync(bad, "utf8"), "{ not json", "the input is left alone");
    const help = await runCli(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: jaxnb run FILE \[--platform cpu\|webgpu\] \[--out EXECUTED\.jaxnb\] \[--html REPORT\.html\]/);
  });

  it("runs a notebook, keeping what it does not execute, and writes nbformat 4 with outputs", async () => {
    const dir = tempDir();
    const input = path.join(dir, "in.ipynb");
    const nb = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: { custom: { keep: [1, 2] }, kernelspec: { name: "python3", display_name: "Python 3", language: "python" } },
      cells: [
        { cell_type: "markdown", id: "m1", metadata: { tags: ["intro"] }, source: ["# Title\n", "text"], attachments: {} },
        { cell_type: "code", id: "c1", metadata: { collapsed: false }, source: "import jax.numpy as jnp\nx = jnp.arange(3)\nprint('hi')\nx * 2", outputs: [], execution_count: null },
        { cell_type: "raw", id: "r1", metadata: {}, source: "raw text" },
        { cell_type: "code", id: "c2", metadata: {}, source: "display(x)\nx.sum()", outputs: [], execution_count: null },
      ],
    };
    writeFileSync(input, JSON.stringify(nb));
    const out = path.join(dir, "out.ipynb");
    const r = await runCli(["run", input, "--out", out]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "hi\nArray([0, 2, 4], dtype=int32)\nArray([0, 1, 2], dtype=int32)\nArray(3, dtype=int32)\n");
    const got = readJson<typeof nb & { cells: { outputs?: unknown[]; execution_count?: number }[] }>(out);
    assert.deepEqual(got.metadata, nb.metadata, "metadata (and the original kernelspec) kept");
    assert.deepEqual(got.cells[0], nb.cells[0]);
    assert.deepEqual(got.cells[2], nb.cells[2]);
    assert.equal(got.cells[1].execution_count, 1);
    assert.deepEqual(got.cells[1].outputs, [
      { output_type: "stream", name: "stdout", text: ["hi\n"] },
      { output_type: "execute_result", execution_count: 1, data: { "text/plain": "Array([0, 2, 4], dtype=int32)" }, metadata: {} },
    ]);
    assert.deepEqual(got.cells[3].outputs, [
      { output_type: "display_data", data: { "text/plain": "Array([0, 1, 2], dtype=int32)" }, metadata: {} },
      { output_type: "execute_result", execution_count: 2, data: { "text/plain": "Array(3, dtype=int32)" }, metadata: {} },
    ]);
    // Written as .jaxnb, the same notebook gets jaxnb's kernelspec.
    const out2 = path.join(dir, "out.jaxnb");
    assert.equal((await runCli(["run", out, "--out", out2])).code, 0);
    assert.deepEqual(readJson<{ metadata: Record<string, unknown> }>(out2).metadata.kernelspec, { name: "jaxnb", display_name: "JAX (CPU)", language: "python" });
  });

  it("draws matplotlib figures as vega-lite specs and saves SVG", async () => {
    const dir = tempDir();
    // Run from a scratch directory: the program saves a file next to itself.
    copyFileSync(path.join(programs, "plots.py"), path.join(dir, "plots.py"));
    const r = await runCli(["run", path.join(dir, "plots.py"), "--out", path.join(dir, "plots.jaxnb")]);
    assert.equal(r.code, 0, r.stderr);
    const nb = readJson<{ cells: { outputs: { output_type: string; data?: Record<string, unknown> }[] }[] }>(path.join(dir, "plots.jaxnb"));
    const specs = nb.cells.flatMap((c) => c.outputs).filter((o) => o.data?.["application/vnd.vegalite.v5+json"]).map((o) => o.data!["application/vnd.vegalite.v5+json"] as Spec);
    assert.equal(specs.length, 4, "one chart per figure");
    const [lines, hist, grid, image] = specs;
    // plot(x, y, 'r--', label=...) and a scatter: two layers; red, dashed; legend lists both labels.
    assert.equal(lines.layer!.length, 2);
    assert.deepEqual(lines.layer![0].mark.strokeDash, [6, 4]);
    assert.deepEqual(lines.layer![0].encoding.color.scale.range, ["#ff0000", "#1f77b4"]);
    assert.deepEqual(lines.layer![0].encoding.color.legend.values, ["sin", "points"]);
    assert.equal(lines.title, "Waves");
    assert.equal(lines.layer![0].encoding.x.title, "t");
    assert.equal(lines.layer![0].encoding.y.scale.type, "log");
    // hist: counts as NumPy's histogram gives them.
    const bars = hist.layer![0].data.values as { y2: number; x: number; x2: number }[];
    assert.deepEqual(bars.map((b) => b.y2), fx.histogram.counts);
    assertAllClose(bars.map((b) => b.x), fx.histogram.edges.slice(0, -1), "bin starts", 1e-6, 1e-6);
    // subplots(2, 2): a 2 × 2 grid of charts.
    assert.equal(grid.vconcat!.length, 2);
    assert.equal(grid.vconcat![1].hconcat!.length, 2);
    // imshow: one rect per pixel, colored by value.
    assert.equal(image.layer![0].data.values.length, 12);
    assert.equal(image.layer![0].mark.type, "rect");
    const svg = readFileSync(path.join(dir, "out-plot.svg"), "utf8");
    assert.match(svg, /^<svg/);
    assert.match(svg, /Waves/);
  });
});

describe("jaxnb run: which backend", function () {
  this.timeout(300_000);
  const notebook = (display: string, code: string): string => {
    const file = path.join(tempDir(), "nb.jaxnb");
    const cells = [{ cell_type: "code", id: "c1", metadata: {}, execution_count: null, outputs: [], source: [code] }];
    writeFileSync(file, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: "jaxnb", display_name: display, language: "python" } }, cells }));
    return file;
  };
  const noPlatforms = { JAX_PLATFORMS: undefined };

  it("runs a notebook on the kernel it was saved with, --platform and JAX_PLATFORMS first, and saves the one it used", async () => {
    const code = "import jax\nprint(jax.default_backend())";
    const cpu = notebook("JAX (CPU)", code);
    const gpu = notebook("JAX (WebGPU)", code);
    const out = path.join(tempDir(), "out.jaxnb");
    const r1 = await runCli(["run", cpu, "--out", out], { env: noPlatforms });
    assert.equal(r1.code, 0, r1.stderr);
    assert.equal(r1.stdout.trim(), "cpu");
    assert.equal(readJson<{ metadata: { kernelspec: { display_name: string } } }>(out).metadata.kernelspec.display_name, "JAX (CPU)");
    const r2 = await runCli(["run", gpu, "--out", out], { env: noPlatforms });
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(r2.stdout.trim(), "webgpu");
    assert.equal(readJson<{ metadata: { kernelspec: { display_name: string } } }>(out).metadata.kernelspec.display_name, "JAX (WebGPU)");
    const r3 = await runCli(["run", gpu, "--platform", "cpu", "--out", out], { env: noPlatforms });
    assert.equal(r3.stdout.trim(), "cpu", r3.stderr);
    assert.equal(readJson<{ metadata: { kernelspec: { display_name: string } } }>(out).metadata.kernelspec.display_name, "JAX (CPU)");
    const r4 = await runCli(["run", gpu], { env: { JAX_PLATFORMS: "cpu" } });
    assert.equal(r4.stdout.trim(), "cpu", r4.stderr);
    const bad = await runCli(["run", gpu, "--platform", "tpu"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--platform takes cpu or webgpu, not "tpu"/);
  });

  it("says how to reach the XLA_FLAGS CPU devices when make_mesh runs on the WebGPU default", async () => {
    const script = path.join(tempDir(), "mesh.py");
    writeFileSync(script, 'import os\nos.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=4"\nimport jax\njax.make_mesh((4, 1), ("x", "y"))\n');
    const r = await runCli(["run", script], { env: { JAX_PLATFORMS: "webgpu,cpu" } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ValueError: Number of devices 1 must be >= the product of mesh_shape \(4, 1\) \(the default backend is webgpu; the 4 CPU devices set by XLA_FLAGS are jax.devices\("cpu"\)/);
    const ok = await runCli(["run", script], { env: { JAX_PLATFORMS: "cpu" } });
    assert.equal(ok.code, 0, ok.stderr);
  });
});

describe("jaxnb run: the post (examples/jax-intro.py)", function () {
  this.timeout(600_000);

  it("prints 4 devices, plots both curves with 10000 points each, and writes notebook and report", async () => {
    const dir = tempDir();
    const out = path.join(dir, "intro.jaxnb");
    const html = path.join(dir, "intro.html");
    const r = await runCli(["run", path.join(root, "examples/jax-intro.py"), "--out", out, "--html", html], { env: { JAX_PLATFORMS: "cpu" } });
    const nb = readJson<{ cells: { cell_type: string; source: string[]; outputs?: Output[] }[] }>(out);
    const code = nb.cells.filter((c) => c.cell_type === "code");
    const cellWith = (text: string) => code.find((c) => c.source.join("").includes(text))!;
    // jax.device_count() after XLA_FLAGS is set through os.environ.
    const count = cellWith("jax.device_count()").outputs!.find((o) => o.output_type === "execute_result");
    assert.equal(count?.data?.["text/plain"], "4");
    assert.match(r.stdout, /^4$/m);
    // The plot: one chart, a line layer per curve, 10000 points each, matching NumPy/PyTorch.
    const plots = cellWith("plt.plot(").outputs!.filter((o) => o.data?.["application/vnd.vegalite.v5+json"]);
    assert.equal(plots.length, 1);
    const layers = (plots[0].data!["application/vnd.vegalite.v5+json"] as Spec).layer!;
    assert.equal(layers.length, 2);
    const [f, df] = layers.map((l) => l.data.values as { x: number; y: number }[]);
    assert.equal(f.length, 10000);
    assert.equal(df.length, 10000);
    const every = (xs: number[]) => xs.filter((_, i) => i % 97 === 0);
    assertAllClose(every(f.map((p) => p.x)), every(fx.post.x), "x", 1e-6, 1e-6);
    assertAllClose(every(f.map((p) => p.y)), every(fx.post.f), "f(x)", 1e-5, 1e-5);
    assertAllClose(every(df.map((p) => p.y)), every(fx.post.df), "f'(x)", 1e-4, 1e-3);
    assert.deepEqual(layers[0].encoding.color.legend.values, ["f(x)", "f'(x)"]);
    // The sharding cell: four shards, CPU 0–3, as JAX's box grid and as the sharding grid MIME.
    assert.equal(r.code, 0, r.stderr);
    const sharding = cellWith("visualize_array_sharding").outputs!.find((o) => o.data?.["application/vnd.jaxnb.sharding+json"]);
    const text = String(sharding?.data?.["text/plain"]);
    assert.equal(text, ["┌───────┬───────┬───────┬───────┐", "│ CPU 0 │ CPU 1 │ CPU 2 │ CPU 3 │", "└───────┴───────┴───────┴───────┘"].join("\n"));
    const grid = sharding!.data!["application/vnd.jaxnb.sharding+json"] as { tiles: { device: number; index: number[][] }[]; spec: unknown };
    assert.deepEqual(grid.tiles, [0, 1, 2, 3].map((d) => ({ device: d, index: [[d * 2500000, (d + 1) * 2500000]] })));
    assert.deepEqual(grid.spec, [["x", "y"]]);
    // The four methods were timed and drawn as bars.
    assert.match(r.stdout, /Sharding \+ JIT: +[\d.]+ ms/);
    // The report works offline: vega-embed inlined, the chart's data in it, no remote scripts.
    const report = readFileSync(html, "utf8");
    assert.match(report, /vegaEmbed\("#vis0"/);
    assert.ok(!/<script[^>]+src=/.test(report));
    assert.match(report, /My Brief Introduction to JAX/);
  });

  it("keeps examples/jax-intro.jaxnb the same program as examples/jax-intro.py", async () => {
    const dir = tempDir();
    const converted = path.join(dir, "intro.jaxnb");
    assert.equal((await runCli(["convert", path.join(root, "examples/jax-intro.py"), converted])).code, 0);
    assert.deepEqual(readJson(path.join(root, "examples/jax-intro.jaxnb")), readJson(converted));
  });
});

interface Output {
  output_type: string;
  data?: Record<string, unknown>;
  text?: string[];
  ename?: string;
}

interface Layer {
  data: { values: Record<string, unknown>[] };
  mark: { type: string; strokeDash?: number[] };
  encoding: Record<string, { title?: string; scale: { type?: string; range?: string[] }; legend: { values: string[] } }>;
}
interface Spec {
  layer?: Layer[];
  vconcat?: { hconcat?: Spec[] }[];
  title?: string;
}
