/** @file Control flow (jax.lax control_flow): cond and switch, while_loop, scan, fori_loop, map, associative_scan. */

export { cond, switchBranches, switchBranches as switch, condImpl } from "./controlCond.js";
export { whileLoop, whileImpl } from "./controlWhile.js";
export { scan, scanImpl, type ScanOptions } from "./controlScan.js";
export { foriLoop, map, associativeScan } from "./controlLoops.js";
