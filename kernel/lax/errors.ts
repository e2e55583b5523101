/** @file Python's error kinds that JAX raises and JavaScript lacks (the `name` is what Python sees). */

/** JAX's ValueError: a bad value of the right type (repeated axes, bad sizes, out-of-range dims). */
export class ValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ValueError";
  }
}

/** JAX's NotImplementedError (e.g. scatter-mul gradients without unique indices, as in JAX). */
export class NotImplementedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotImplementedError";
  }
}
