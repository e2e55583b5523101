/** @file Distance between float32 values in units in the last place. */

const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);

/** The ordered integer of a float32's bits (so that adjacent floats differ by 1, across zero too). */
function ordered(x: number): number {
  f32[0] = x;
  const b = i32[0];
  return b < 0 ? -(b & 0x7fffffff) : b;
}

/** How many float32 values lie between a and b (0 when equal). */
export const f32Ulps = (a: number, b: number): number => Math.abs(ordered(a) - ordered(b));
