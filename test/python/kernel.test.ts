/**
 * @file The kernel process through its client library (what the CLI and the VS Code extension
 * use): outputs streamed per cell, interrupts, completion and inspection, devices, and a clear
 * "kernel died" instead of a hang when the process ends.
 */

import assert from "node:assert/strict";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { KernelClient, KernelDiedError } from "../../kernel/server/client.js";
import type { ErrorNotification, ExecuteResultNotification, StreamNotification, DisplayNotification } from "../../kernel/server/protocol.js";
import { root } from "./run.js";

/** Builds the bundles if sources changed (as bin/jaxnb does) and starts a kernel. */
function startKernel(env: NodeJS.ProcessEnv = {}, ipc = false): KernelClient {
  execFileSync(process.execPath, [path.join(root, "esbuild.mjs"), "--if-stale"], { stdio: "inherit" });
  return KernelClient.start({ kernelMain: path.join(root, "out/kernel/main.js"), cwd: root, env: { ...process.env, ...env }, ipc });
}

interface Collected {
  stream: StreamNotification[];
  display: DisplayNotification[];
  updates: DisplayNotification[];
  results: ExecuteResultNotification[];
  errors: ErrorNotification[];
}

async function run(k: KernelClient, code: string, cellId = "c") {
  const got: Collected = { stream: [], display: [], updates: [], results: [], errors: [] };
  const reply = await k.execute({ cellId, code }, {
    stream: (p) => got.stream.push(p),
    display_data: (p) => got.display.push(p),
    update_display_data: (p) => got.updates.push(p),
    execute_result: (p) => got.results.push(p),
    error: (p) => got.errors.push(p),
  });
  return { reply, ...got, stdout: got.stream.filter((s) => s.name === "stdout").map((s) => s.text).join("") };
}

describe("kernel process", function () {
  this.timeout(180_000);
  let k: KernelClient;

  before(async () => {
    const start = Date.now();
    // The CPU platform, as the post's notebook uses (several CPU devices from XLA_FLAGS).
    k = startKernel({ JAX_PLATFORMS: "cpu" });
    await k.ready;
    const ready = Date.now() - start;
    const first = await run(k, "import jax.numpy as jnp\njnp.arange(3) + 1");
    assert.equal(first.results[0]?.data["text/plain"], "Array([1, 2, 3], dtype=int32)");
    console.log(`      bench: kernel start to first result ${Date.now() - start} ms (Python ready after ${ready} ms)`);
  });
  after(async () => {
    await k?.shutdown();
  });

  it("reports its protocol version and Python version", async () => {
    const info = await k.request("kernel_info", {});
    assert.equal(info.protocolVersion, "1.0");
    assert.equal(info.implementation, "jaxnb");
    assert.match(info.languageVersion, /^3\.\d+\.\d+$/);
    assert.ok(["cpu", "webgpu"].includes(info.backend));
  });

  it("streams output, shows the last expression, counts executions, keeps the namespace", async () => {
    const a = await run(k, "x = 41\nprint('a')\nprint('b', end='')\nx + 1");
    assert.equal(a.reply.status, "ok");
    assert.equal(a.stdout, "a\nb");
    assert.deepEqual(a.results.map((r) => r.data["text/plain"]), ["42"]);
    const b = await run(k, "x");
    assert.equal(b.reply.executionCount, a.reply.executionCount! + 1);
    assert.equal(b.results[0].data["text/plain"], "41");
    const silent = await k.execute({ cellId: "s", code: "x", silent: true });
    assert.equal(silent.executionCount, null);
    const semicolon = await run(k, "x;");
    assert.equal(semicolon.results.length, 0, "a trailing semicolon hides the value");
  });

  it("displays rich objects, updates displays by id, and sends stderr separately", async () => {
    const r = await run(k, [
      "class Rich:",
      "    def _repr_html_(self): return '<b>rich</b>'",
      "    def __repr__(self): return 'Rich()'",
      "h = display(Rich(), display_id=True)",
      "import sys; print('oops', file=sys.stderr)",
      "h.update('new')",
    ].join("\n"));
    assert.equal(r.reply.status, "ok");
    assert.deepEqual(r.display[0].data, { "text/html": "<b>rich</b>", "text/plain": "Rich()" });
    assert.equal(r.updates[0].displayId, r.display[0].displayId);
    assert.equal(r.updates[0].data["text/plain"], "'new'");
    assert.deepEqual(r.stream.filter((s) => s.name === "stderr").map((s) => s.text), ["oops\n"]);
  });

  it("survives user errors, with a traceback of cell lines", async () => {
    const r = await run(k, "def f():\n    return 1 / 0\n\nf()");
    assert.equal(r.reply.status, "error");
    assert.equal(r.errors[0].ename, "ZeroDivisionError");
    assert.equal(r.errors[0].evalue, "division by zero");
    const tb = r.errors[0].traceback.join("\n");
    assert.match(tb, /Cell In\[\d+\]", line 4, in <module>/);
    assert.match(tb, /line 2, in f\n\s+return 1 \/ 0/);
    assert.ok(!tb.includes("/jaxnb/python/"), tb);
    assert.equal((await run(k, "x")).results[0].data["text/plain"], "41");
  });

  it("stops an endless loop within a second on interrupt, keeping the namespace", async () => {
    const running = run(k, "i = 0\nwhile True:\n    i += 1");
    await new Promise((r) => setTimeout(r, 1500));
    const sent = Date.now();
    await k.interrupt();
    const r = await running;
    const took = Date.now() - sent;
    assert.equal(r.reply.status, "error");
    assert.equal(r.errors[0].ename, "KeyboardInterrupt");
    assert.ok(took < 1000, `interrupt took ${took} ms`);
    const after = await run(k, "i > 0, x");
    assert.equal(after.results[0].data["text/plain"], "(True, 41)");
  });

  it("an interrupt for a cell still waiting to start (here: behind the kernel's start-up) stops it when it starts", async () => {
    const k2 = startKernel({ JAX_PLATFORMS: "cpu" });
    try {
      const running = run(k2, "y = 5\nwhile True:\n    pass");
      // Sent before Python is ready: the execute request waits; the interrupt is for it.
      await k2.interrupt();
      const r = await running;
      assert.equal(r.reply.status, "error");
      assert.equal(r.errors[0]?.ename, "KeyboardInterrupt");
      // It hit that cell only: the next one runs.
      assert.equal((await run(k2, "1 + 1")).results[0].data["text/plain"], "2");
    } finally {
      await k2.shutdown();
    }
  });

  it("ignores an interrupt sent while idle", async () => {
    await k.interrupt();
    const r = await run(k, "sum(range(10))");
    assert.equal(r.reply.status, "ok");
    assert.equal(r.results[0].data["text/plain"], "45");
  });

  it("completes names and attributes, and inspects objects", async () => {
    await run(k, "import jax\nimport jax.numpy as jnp\narr = jnp.ones((2, 3))");
    const c = await k.request("complete", { code: "jnp.lins", cursorPos: 8 });
    assert.deepEqual(c.matches, ["linspace"]);
    assert.equal(c.cursorStart, 4);
    const names = await k.request("complete", { code: "ar", cursorPos: 2 });
    assert.ok(names.matches.includes("arr"));
    const a = await k.request("inspect", { code: "arr.sum()", cursorPos: 1 });
    assert.deepEqual([a.found, a.type, a.shape, a.dtype], [true, "ArrayImpl", [2, 3], "float32"]);
    const f = await k.request("inspect", { code: "jax.grad", cursorPos: 6 });
    assert.equal(f.found, true);
    assert.match(f.signature!, /^grad\(fun, argnums=0, has_aux=False/);
    assert.match(f.doc!, /gradient/);
    assert.equal((await k.request("inspect", { code: "nothing_here", cursorPos: 3 })).found, false);
  });

  it("lists devices, following XLA_FLAGS set from Python", async () => {
    const one = await k.request("devices", {});
    assert.deepEqual(one.filter((d) => d.platform === "cpu").map((d) => d.repr), ["CpuDevice(id=0)"]);
    await run(k, "import os\nos.environ['XLA_FLAGS'] = '--xla_force_host_platform_device_count=4'");
    const four = await k.request("devices", {});
    assert.deepEqual(four.filter((d) => d.platform === "cpu").map((d) => d.repr), [0, 1, 2, 3].map((i) => `CpuDevice(id=${i})`));
    assert.equal((await run(k, "jax.device_count(), jax.devices('cpu')")).results[0].data["text/plain"], "(4, [CpuDevice(id=0), CpuDevice(id=1), CpuDevice(id=2), CpuDevice(id=3)])");
  });

  it("answers unknown methods with a JSON-RPC error", async () => {
    await assert.rejects(k.request("no_such_method" as "devices", {}), /unknown method: no_such_method/);
  });
});

describe("separate kernel processes: death, environment, IPC", function () {
  this.timeout(180_000);

  it("ends pending requests with KernelDiedError when the Python thread exits", async () => {
    const k = startKernel();
    await k.ready;
    let died: KernelDiedError | undefined;
    k.on("died", (e: KernelDiedError) => (died = e));
    await assert.rejects(run(k, "import js\njs.process.exit(3)"), (e: unknown) => e instanceof KernelDiedError);
    assert.ok(died instanceof KernelDiedError);
    assert.match(died.message, /Kernel died \(exit code 70\)/);
    assert.match(died.stderrTail, /Python thread exited/);
    await assert.rejects(k.request("devices", {}), KernelDiedError, "later requests fail at once");
  });

  it("ends pending requests when the process is killed", async () => {
    const k = startKernel();
    await k.ready;
    const running = run(k, "while True: pass");
    await new Promise((r) => setTimeout(r, 500));
    process.kill(k.pid!, "SIGKILL");
    await assert.rejects(running, (e: unknown) => e instanceof KernelDiedError && /signal SIGKILL/.test(e.message));
  });

  it("honours JAX_ENABLE_X64 and JAX_PLATFORMS from the environment (over Node's IPC channel)", async () => {
    const k = startKernel({ JAX_ENABLE_X64: "1", JAX_PLATFORMS: "cpu" }, true);
    try {
      await k.ready;
      const r = await run(k, "import jax, jax.numpy as jnp\n(jnp.ones(2).dtype.name, jax.default_backend())");
      assert.equal(r.results[0]?.data["text/plain"], "('float64', 'cpu')", JSON.stringify(r.errors));
    } finally {
      await k.shutdown();
    }
  });
});
