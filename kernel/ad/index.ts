/**
 * @file Automatic differentiation, the JAX way: forward mode (jvp.ts), partial evaluation
 * (partial_eval.ts), transposition (transpose.ts), linearize/vjp (linearize.ts), the pytree API
 * (api.ts, jacobian.ts), custom rules (custom_jvp.ts, custom_vjp.ts), remat (checkpoint.ts) and
 * `checkGrads`. Flat-list entry points (`jvpFlat`, `linearizeFlat`, `vjpFlat`) are for
 * the Python front end; jaxpr-level ones (`jvpJaxpr`, `partialEvalJaxpr`, `transposeJaxpr`,
 * `backwardPass`, `dceJaxpr`) for higher-order primitives' rules.
 */

export { JVPTrace, JVPTracer, jvpFlat, jvpJaxpr, jvpTraced } from "./jvp.js";
export {
  PartialVal, PartialEvalTrace, PartialEvalTracer, partialEvalFlat, partialEvalJaxpr, tracersToJaxpr, convertConstvars, dceJaxpr,
  type JaxprSplit,
} from "./partial_eval.js";
export { backwardPass, transposeJaxpr, NotImplementedError } from "./transpose.js";
export { type Linearized, linearizeJaxpr, linearizeFlat, vjpFlat, applyLinear, transposeLinear } from "./linearize.js";
export { jvp, vjp, linearize, grad, valueAndGrad, linearTranspose, type GradOptions, type Argnums } from "./api.js";
export { jacfwd, jacrev, jacobian, hessian, type JacobianOptions } from "./jacobian.js";
export { Float0Array, type TangentIn } from "./tangents.js";
export { customJvp, type CustomJvpFunction } from "./custom_jvp.js";
export { customVjp, type CustomVjpFunction, CustomVJPException } from "./custom_vjp.js";
export { checkpoint, remat, checkpointPolicies, type CheckpointPolicy, type CheckpointOptions } from "./checkpoint.js";
export { checkGrads, type CheckGradsOptions } from "./check_grads.js";
