/**
 * @file jnp.linalg factorizations whose factors NumPy fixes only up to signs (qr, eigh, svd):
 * checked by their defining identities on NumPy-made inputs, plus LinAlgError cases.
 */

import assert from "node:assert/strict";
import "../../kernel/index.js";
import * as jnp from "../../kernel/numpy/index.js";
import type { JaxValue } from "../../kernel/ir/core.js";
import type { Array } from "../../kernel/backend/array.js";
import { LinAlgError } from "../../kernel/numpy/linalg.js";

const matrixA = (): JaxValue => jnp.asarray([[2, -1, 0.5, 3], [1, 4, -2, 0], [0.5, 0, 3, 1]], { dtype: "float32" });
const matrixS = (): JaxValue => jnp.asarray([[4, 1, 0.5], [1, 3, -1], [0.5, -1, 2]], { dtype: "float32" });

function assertNear(x: JaxValue, y: JaxValue, tol = 1e-4): void {
  assert.deepEqual([...x.shape], [...y.shape]);
  const a = (x as Array).toNumbers(), b = (y as Array).toNumbers();
  a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) <= tol * (1 + Math.abs(b[i])), `element ${i}: ${v} vs ${b[i]}`));
}
const eye = (n: number): JaxValue => jnp.eye(n);

describe("jnp.linalg factorizations", () => {
  // Made when the tests run: the default device is settled by then.
  let A: JaxValue, S: JaxValue;
  before(() => {
    A = matrixA();
    S = matrixS();
  });
  it("qr: a = q r, q has orthonormal columns, r is upper triangular", () => {
    const [q, r] = jnp.linalg.qr(jnp.transpose(A)) as [JaxValue, JaxValue];
    assert.deepEqual([...q.shape, ...r.shape], [4, 3, 3, 3]);
    assertNear(jnp.matmul(q, r), jnp.transpose(A));
    assertNear(jnp.matmul(jnp.transpose(q), q), eye(3));
    assertNear(r, jnp.triu(r), 0);
    const [qc] = jnp.linalg.qr(jnp.transpose(A), { mode: "complete" }) as [JaxValue, JaxValue];
    assertNear(jnp.matmul(jnp.transpose(qc), qc), eye(4));
  });
  it("eigh: a v = v diag(w), w ascending, v orthonormal", () => {
    const [w, v] = jnp.linalg.eigh(S);
    assertNear(jnp.matmul(S, v), jnp.multiply(v, w));
    assertNear(jnp.matmul(jnp.transpose(v), v), eye(3));
    const ws = (w as Array).toNumbers();
    assert.ok(ws[0] <= ws[1] && ws[1] <= ws[2]);
  });
  it("svd: a = u diag(s) vh with s descending", () => {
    const [u, s, vh] = jnp.linalg.svd(A, { full_matrices: false }) as [JaxValue, JaxValue, JaxValue];
    assertNear(jnp.matmul(jnp.multiply(u, s), vh), A);
    const sv = (s as Array).toNumbers();
    assert.ok(sv[0] >= sv[1] && sv[1] >= sv[2]);
  });
  it("non-square or 1-D input to a square-matrix function is a LinAlgError", () => {
    assert.throws(() => jnp.linalg.det(A), (e: Error) => e instanceof LinAlgError && /Last 2 dimensions of the array must be square/.test(e.message));
    assert.throws(() => jnp.linalg.inv(jnp.ones([3])), (e: Error) => e instanceof LinAlgError && /1-dimensional array given/.test(e.message));
  });
});
