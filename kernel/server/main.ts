/**
 * @file The kernel process (see protocol.ts): JSON-RPC with the client on stdio (or Node's IPC
 * channel), a Python thread that runs the code, and the main-thread services Python needs
 * (interrupts, blocking calls such as SVG rendering). Nothing but protocol messages is written
 * to stdout: logs of the runtime go to stderr.
 */

import { Worker, MessageChannel } from "node:worker_threads";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { PROTOCOL_VERSION, RPC_ERROR, type KernelInfo, type RpcMessage, type RpcRequest } from "./protocol.js";
import { EXEC, type FromWorker, type WorkerData } from "./messages.js";
import { vegaLiteToSvg } from "./svg.js";

const VERSION = "0.1.0";

// Ctrl-C in a terminal reaches the whole process group: the client decides what it means (the
// CLI sends an `interrupt`), so the kernel itself does not die of it.
process.on("SIGINT", () => undefined);

// Stray console output of library code must not corrupt the protocol stream.
console.log = console.info = console.debug = (...a: unknown[]) => console.error(...a);

// ---- the channel to the client ------------------------------------------------------------

function send(msg: RpcMessage): void {
  if (process.send) process.send(msg);
  else process.stdout.write(`${JSON.stringify(msg)}\n`);
}
const notify = (method: string, params: unknown): void => send({ jsonrpc: "2.0", method, params });
const reply = (id: number, result: unknown): void => send({ jsonrpc: "2.0", id, result });
const replyError = (id: number, code: number, message: string): void => send({ jsonrpc: "2.0", id, error: { code, message } });

// ---- the Python thread --------------------------------------------------------------------

const interrupt = new SharedArrayBuffer(1);
const execState = new Int32Array(new SharedArrayBuffer(8));
const syncFlag = new SharedArrayBuffer(4);
const { port1: syncHere, port2: syncThere } = new MessageChannel();
const PASSED_ENV = /^(JAX_|XLA_|JAXNB_|TF_CPP_)/;
const env = Object.fromEntries(Object.entries(process.env).filter(([k, v]) => PASSED_ENV.test(k) && v !== undefined)) as Record<string, string>;
const workerData: WorkerData = { interrupt, execState: execState.buffer as SharedArrayBuffer, syncFlag, syncPort: syncThere, env, cwd: process.cwd(), version: VERSION };
const worker = new Worker(fileURLToPath(new URL("./worker.js", import.meta.url)), {
  workerData,
  transferList: [syncThere],
  stdout: true,
  stderr: true,
});
worker.stdout.pipe(process.stderr);
worker.stderr.pipe(process.stderr);

let info: KernelInfo | null = null;
const waitingForReady: (() => void)[] = [];
/** Requests forwarded to the Python thread, by id, with their method. */
const pending = new Map<number, string>();

function die(message: string, code = 1): never {
  process.stderr.write(`jaxnb kernel: ${message}\n`);
  process.exit(code);
}

worker.on("message", (m: FromWorker) => {
  switch (m.type) {
    case "ready":
      info = { ...m.info, protocolVersion: PROTOCOL_VERSION };
      notify("ready", info);
      waitingForReady.splice(0).forEach((f) => f());
      break;
    case "notify":
      notify(m.method, m.params);
      break;
    case "response":
      pending.delete(m.id);
      if (m.error) replyError(m.id, RPC_ERROR.internal, m.error.message);
      else reply(m.id, m.result);
      break;
    case "fatal":
      die(m.message, 70);
  }
});
worker.on("error", (e) => die(`the Python thread crashed: ${e.stack ?? e.message}`, 70));
worker.on("exit", (code) => die(`the Python thread exited (code ${code})`, 70));

syncHere.on("message", ({ method, payload }: { method: string; payload: string }) => {
  const answer = (ok: boolean, result: string): void => {
    syncHere.postMessage({ ok, result });
    const flag = new Int32Array(syncFlag);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  };
  if (method !== "svg") {
    answer(false, `unknown blocking call ${method}`);
    return;
  }
  vegaLiteToSvg(JSON.parse(payload)).then(
    (svg) => answer(true, svg),
    (e: unknown) => answer(false, `could not render the figure as SVG: ${e instanceof Error ? e.message : String(e)}`),
  );
});

// ---- requests -----------------------------------------------------------------------------

const FORWARDED = new Set(["execute", "complete", "inspect", "devices"]);

/** Interrupts the running execute request, or the next to run; nothing when none is pending (see EXEC). */
function interruptExecute(): void {
  const runs = Atomics.load(execState, EXEC.RUNS);
  const executes = [...pending].filter(([, m]) => m === "execute").map(([k]) => k + 1);
  const target = executes.includes(runs) ? runs : executes[0];
  if (target === undefined) return;
  Atomics.store(execState, EXEC.FOR, target);
  if (Atomics.load(execState, EXEC.RUNS) === target) Atomics.store(new Uint8Array(interrupt), 0, 2);
}

function handle(req: RpcRequest): void {
  const { id, method } = req;
  const whenReady = (f: () => void): void => {
    if (info) f();
    else waitingForReady.push(f);
  };
  switch (method) {
    case "kernel_info":
      whenReady(() => reply(id, info));
      return;
    case "interrupt":
      interruptExecute();
      reply(id, {});
      return;
    case "shutdown":
      reply(id, {});
      // Let the reply reach the client before the process ends.
      setImmediate(() => {
        void worker.terminate().finally(() => process.exit(0));
      });
      return;
  }
  if (!FORWARDED.has(method)) {
    replyError(id, RPC_ERROR.methodNotFound, `unknown method: ${method}`);
    return;
  }
  pending.set(id, method);
  whenReady(() => worker.postMessage({ id, method, params: req.params ?? {} }));
}

function onMessage(raw: unknown): void {
  const msg = raw as Partial<RpcRequest>;
  if (typeof msg !== "object" || msg === null || typeof msg.method !== "string" || typeof msg.id !== "number") {
    if (typeof msg === "object" && msg !== null && typeof msg.id === "number") replyError(msg.id, RPC_ERROR.invalidRequest, "invalid request");
    return;
  }
  handle(msg as RpcRequest);
}

if (process.send) {
  process.on("message", onMessage);
  process.on("disconnect", () => process.exit(0));
} else {
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  lines.on("line", (line) => {
    if (!line.trim()) return;
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      send({ jsonrpc: "2.0", id: -1, error: { code: RPC_ERROR.parse, message: "invalid JSON" } });
      return;
    }
    onMessage(msg);
  });
  // The client went away: nobody is left to serve.
  lines.on("close", () => process.exit(0));
}
