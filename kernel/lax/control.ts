/** @file Control flow (jax.lax control_flow): cond and switch, while_loop and fori_loop, scan, map, associative_scan. */

export { cond, switchBranches, switchBranches as switch, condImpl } from "./controlCond.js";
