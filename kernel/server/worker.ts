/**
 * @file The Python thread of the kernel process: Pyodide (CPython in WebAssembly) plus the array
 * runtime. It runs one request at a time, synchronously (a cell blocks this thread, which is
 * why interrupts come through a shared buffer, not a message), and sends outputs as they happen.
 */

import { parentPort, workerData, receiveMessageOnPort, type MessagePort } from "node:worker_threads";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadPyodide, version as pyodideVersion, type PyodideInterface } from "pyodide";
import { bridge } from "../python/bridge.js";
import { EXEC, type ToWorker, type FromWorker, type WorkerData } from "./messages.js";

const data = workerData as WorkerData;
const port = parentPort!;
const post = (m: FromWorker): void => port.postMessage(m);

/** Where the Python package lives next to this file (bundled: out/kernel/python). */
const here = path.dirname(fileURLToPath(import.meta.url));
const pythonSource = path.join(here, "python");
/** Where it goes inside Pyodide's file system. */
const pythonTarget = "/jaxnb/python";

function copyTree(py: PyodideInterface, from: string, to: string): void {
  py.FS.mkdirTree(to);
  for (const e of readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    if (e.isDirectory()) copyTree(py, src, `${to}/${e.name}`);
    else if (e.name.endsWith(".py")) py.FS.writeFile(`${to}/${e.name}`, readFileSync(src));
  }
}

/**
 * A blocking call to the main thread (e.g. rendering an SVG with vega, which is asynchronous):
 * post the request, sleep on the shared flag until the main thread has answered, then take the
 * answer off the dedicated port synchronously.
 */
const syncFlag = new Int32Array(data.syncFlag);
function syncCall(method: string, payload: string): string {
  Atomics.store(syncFlag, 0, 0);
  data.syncPort.postMessage({ method, payload });
  while (Atomics.wait(syncFlag, 0, 0, 100) === "timed-out") {
    // Keep waiting: the main thread always answers (with an error string when it fails).
  }
  const msg = receiveMessageOnPort(data.syncPort as MessagePort);
  if (!msg) throw new Error(`no answer from the main thread for ${method}`);
  const { ok, result } = msg.message as { ok: boolean; result: string };
  if (!ok) throw new Error(result);
  return result;
}

const kernelModule = {
  /** Sends a protocol notification; `params` is JSON text made by Python. */
  notify(method: string, params: string): void {
    post({ type: "notify", method, params: JSON.parse(params) as unknown });
  },
  syncCall,
  cwd: data.cwd,
  /** The running execute request's user code starts: an interrupt already sent for it takes effect now (see EXEC). */
  user_code_starts(): void {
    Atomics.store(execState, EXEC.RUNS, currentExecute);
    if (Atomics.load(execState, EXEC.FOR) === currentExecute) Atomics.store(interruptFlag, 0, 2);
  },
  /** Its user code ended: no interrupt is for it any more (one arriving now must not hit what follows). */
  user_code_ends(): void {
    Atomics.store(execState, EXEC.RUNS, 0);
    Atomics.store(interruptFlag, 0, 0);
  },
};
const interruptFlag = new Uint8Array(data.interrupt);
const execState = new Int32Array(data.execState);
/** The key (request id + 1) of the execute request being handled, 0 between them. */
let currentExecute = 0;

/**
 * A memory snapshot of Python after start-up and the standard-library imports the kernel uses
 * cuts start-up CPU time about fivefold. It is made on first use and kept in the user's cache,
 * keyed by the Pyodide version (a snapshot only fits the exact build that made it).
 */
function snapshotPath(): string | null {
  if (data.env.JAXNB_NO_SNAPSHOT) return null;
  const base = process.env.JAXNB_CACHE_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "jaxnb");
  return path.join(base, `pyodide-${pyodideVersion}-${SNAPSHOT_RECIPE}.snapshot`);
}

/** Imports done before the snapshot is taken (pure Python only: nothing that touches JavaScript). */
const WARM_IMPORTS = "import ast, base64, builtins, collections, contextlib, dataclasses, functools, inspect, io, json, keyword, linecache, math, operator, re, traceback, uuid";
/** Changes whenever WARM_IMPORTS does, so old snapshots are not used. */
const SNAPSHOT_RECIPE = "1";

async function loadPython(log: (m: string) => void): Promise<PyodideInterface> {
  const common = { stdout: log, stderr: log, args: ["-X", "utf8"], env: {} };
  const snap = snapshotPath();
  if (snap && existsSync(snap)) {
    try {
      return await loadPyodide({ ...common, _loadSnapshot: readFileSync(snap) });
    } catch (e) {
      log(`ignoring the start-up snapshot ${snap}: ${String(e)}`);
    }
  }
  const py = await loadPyodide({ ...common, _makeSnapshot: snap !== null });
  if (snap) {
    py.runPython(WARM_IMPORTS);
    try {
      mkdirSync(path.dirname(snap), { recursive: true });
      const tmp = `${snap}.${process.pid}.tmp`;
      writeFileSync(tmp, py.makeMemorySnapshot());
      renameSync(tmp, snap);
    } catch (e) {
      log(`could not save a start-up snapshot: ${String(e)}`);
    }
  }
  return py;
}

async function start(): Promise<PyodideInterface> {
  const log = (message: string): void => post({ type: "notify", method: "log", params: { level: "info", message } });
  const py = await loadPython(log);
  // A snapshot carries the environment it was made in: set this process's now.
  py.runPython(`import os, json\nos.environ.update(json.loads(${JSON.stringify(JSON.stringify(data.env))}))`);
  py.setInterruptBuffer(new Uint8Array(data.interrupt));
  // The process's stdin carries the protocol: Python must never read it.
  py.setStdin({ error: true });
  copyTree(py, pythonSource, pythonTarget);
  if (data.cwd) {
    try {
      py.mountNodeFS(data.cwd, data.cwd);
    } catch (e) {
      log(`could not make ${data.cwd} visible to Python: ${String(e)}`);
    }
  }
  py.registerJsModule("_jaxnb_kernel", kernelModule);
  py.registerJsModule("_jaxnb_bridge", bridge);
  const init = py.runPython(`
import sys
sys.path.insert(0, ${JSON.stringify(pythonTarget)})
import _jaxnb.kernel
_jaxnb.kernel.init
`) as (cwd: string | undefined) => string;
  const info = JSON.parse(init(data.cwd));
  post({ type: "ready", info: { ...info, implementationVersion: data.version } });
  return py;
}

/** Pyodide cannot continue after a fatal error: the process must end so the client sees it. */
function isFatal(e: unknown): boolean {
  return String(e).includes("fatal") && String(e).toLowerCase().includes("pyodide");
}

async function main(): Promise<void> {
  let py: PyodideInterface;
  try {
    py = await start();
  } catch (e) {
    post({ type: "fatal", message: `Python failed to start: ${e instanceof Error ? e.stack ?? e.message : String(e)}` });
    return;
  }
  const kernel = py.pyimport("_jaxnb.kernel") as Record<string, (json: string) => string>;
  port.on("message", (m: ToWorker) => {
    // Interrupts reach user code only (see EXEC): Python calls user_code_starts/ends around it.
    const execute = m.method === "execute";
    currentExecute = execute ? m.id + 1 : 0;
    Atomics.store(interruptFlag, 0, 0);
    try {
      const handler = kernel[`rpc_${m.method}`];
      if (typeof handler !== "function") {
        post({ type: "response", id: m.id, error: { message: `unknown method ${m.method}` } });
        return;
      }
      const result = JSON.parse(handler(JSON.stringify(m.params ?? {}))) as unknown;
      post({ type: "response", id: m.id, result });
    } catch (e) {
      if (isFatal(e)) {
        post({ type: "fatal", message: String(e) });
        return;
      }
      post({ type: "response", id: m.id, error: { message: e instanceof Error ? e.message : String(e) } });
    } finally {
      currentExecute = 0;
      Atomics.store(execState, EXEC.RUNS, 0);
      Atomics.store(interruptFlag, 0, 0);
    }
  });
}

void main();
