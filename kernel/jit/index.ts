/** @file `kernel/jit`: the `jit` API and the `jit` call primitive (registered on import). */

export { jit, jitFlat, Lowered, type JitOptions, type Jitted } from "./jit.js";
export { bindJit, compiledProgram, jitParams, hoistConsts } from "./primitive.js";
