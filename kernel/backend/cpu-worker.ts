/**
 * @file A CPU device's thread (see cpu-threads.ts): runs the commands its backend posts, in
 * order — registering shared buffers, compiling kernels with its own CPU backend (JavaScript or
 * WebAssembly SIMD, as on device 0), running them — and counts what it has done in a shared word
 * that readers wait on. It blocks in Atomics.wait between batches and takes messages with
 * receiveMessageOnPort, so a dispatch reaches it within microseconds.
 */

import { receiveMessageOnPort, workerData } from "node:worker_threads";
import { CpuBackend, CpuBuffer, type CpuExecutable } from "./cpu.js";
import { CTL, type ThreadCommand, type ThreadData } from "./cpu-threads.js";
import { attachHeap } from "./heap.js";

const { ctl: ctlBuffer, port, heap, scratch } = workerData as ThreadData;
attachHeap(heap, scratch);
const ctl = new Int32Array(ctlBuffer);
const backend = new CpuBackend();
const buffers = new Map<number, CpuBuffer>();
const exes = new Map<number, CpuExecutable>();

function run(c: ThreadCommand): void {
  switch (c.op) {
    case "buf": buffers.set(c.id, new CpuBuffer(c.data, c.byteOffset, c.byteLength, c.heapAddr)); break;
    case "drop": buffers.delete(c.id); break;
    case "compile": exes.set(c.id, backend.compile(c.kernel)); break;
    case "run": {
      const get = (id: number): CpuBuffer => {
        const b = buffers.get(id);
        if (!b) throw new Error(`unknown buffer ${id}`);
        return b;
      };
      const exe = exes.get(c.exe);
      if (!exe) throw new Error(`unknown kernel ${c.exe}`);
      backend.dispatch(exe, c.ins.map(get), c.outs.map(get));
      break;
    }
  }
}

let seen = 0;
let done = 0;
let failed = false;
for (;;) {
  const posted = Atomics.load(ctl, CTL.POSTED);
  if (posted === seen) {
    Atomics.wait(ctl, CTL.POSTED, posted);
    continue;
  }
  const msg = receiveMessageOnPort(port);
  if (!msg) {
    // The counter moved before the message became visible: look again shortly.
    Atomics.wait(ctl, CTL.POSTED, posted, 1);
    continue;
  }
  seen++;
  for (const c of msg.message as ThreadCommand[]) {
    try {
      if (!failed || c.op !== "run") run(c);
    } catch (e) {
      // Report the first error; later kernels are skipped until the reader has seen it.
      failed = true;
      port.postMessage({ error: e instanceof Error ? e.message : String(e) });
      Atomics.store(ctl, CTL.FAILED, 1);
    }
    done++;
  }
  if (failed && !Atomics.load(ctl, CTL.FAILED)) failed = false;
  Atomics.store(ctl, CTL.DONE, done);
  Atomics.notify(ctl, CTL.DONE);
}
