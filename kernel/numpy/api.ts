/** @file `jax.numpy` as the TypeScript API exports it: every function checks its arguments (checked.ts). */

import * as ns from "./index.js";
import { withArgChecks } from "./checked.js";

export const jnp = withArgChecks(ns);
