/**
 * @file Every jnp function's NumPy parameters, for the Python front end to bind calls generically.
 * The TS convention: required parameters are positional, in order; optional ones travel in one
 * trailing options object under NumPy's names. A `*name` parameter (Python varargs) is passed as
 * one JS array in its place. So `jnp.linspace(-2, 2, 10000)` binds to
 * `linspace(-2, 2, { num: 10000 })`, and `jnp.einsum("ij,jk", a, b)` to `einsum("ij,jk", [a, b])`.
 */

export interface Param {
  readonly name: string;
  /** Required parameters are positional in TS; the others are keys of the options object. */
  readonly required: boolean;
  /** Python's *args: one JS array argument in its place (parameters after it are keyword-only). */
  readonly varargs: boolean;
}

export interface Signature {
  /** The name under which kernel/numpy exports the function ("linalg.norm" for jnp.linalg's). */
  readonly ts: string;
  readonly params: readonly Param[];
}

// name(tsName): params, `?` marking optional ones. The TS name defaults to the camelCase of the name.
const SPEC = `
array: object, dtype?, copy?, ndmin?
asarray: a, dtype?
zeros: shape, dtype?
ones: shape, dtype?
empty: shape, dtype?
full: shape, fill_value, dtype?
zeros_like: a, dtype?, shape?
ones_like: a, dtype?, shape?
empty_like: a, dtype?, shape?
full_like: a, fill_value, dtype?, shape?
copy: a
arange: start, stop?, step?, dtype?
linspace: start, stop, num?, endpoint?, retstep?, dtype?, axis?
logspace: start, stop, num?, endpoint?, base?, dtype?, axis?
eye: N, M?, k?, dtype?
identity: n, dtype?
tri: N, M?, k?, dtype?
tril: m, k?
triu: m, k?
diag: v, k?
diagonal: a, offset?, axis1?, axis2?
meshgrid: *xi, copy?, sparse?, indexing?
exp: x
exp2: x
expm1: x
log: x
log1p: x
log2: x
log10: x
sqrt: x
cbrt: x
sin: x
cos: x
tan: x
arcsin: x
arccos: x
arctan: x
sinh: x
cosh: x
tanh: x
arcsinh: x
arccosh: x
arctanh: x
asin: x
acos: x
atan: x
asinh: x
acosh: x
atanh: x
arctan2: x1, x2
atan2: x1, x2
deg2rad: x
rad2deg: x
radians: x
degrees: x
fabs: x
nextafter: x1, x2
true_divide: x1, x2
divide: x1, x2
sinc: x
hypot: x1, x2
logaddexp: x1, x2
logaddexp2: x1, x2
heaviside: x1, x2
add: x1, x2
multiply: x1, x2
subtract: x1, x2
maximum: x1, x2
minimum: x1, x2
fmax: x1, x2
fmin: x1, x2
negative: x
positive: x
absolute: x
abs: x
sign: x
square: x
reciprocal: x
floor_divide: x1, x2
remainder: x1, x2
mod: x1, x2
fmod: x1, x2
divmod: x1, x2
power: x1, x2
pow: x1, x2
float_power: x1, x2
floor: x
ceil: x
trunc: x
fix: x
rint: x
round: a, decimals?
around: a, decimals?
equal: x1, x2
not_equal: x1, x2
less: x1, x2
less_equal: x1, x2
greater: x1, x2
greater_equal: x1, x2
logical_and: x1, x2
logical_or: x1, x2
logical_xor: x1, x2
logical_not: x
bitwise_and: x1, x2
bitwise_or: x1, x2
bitwise_xor: x1, x2
bitwise_not: x
invert: x
left_shift: x1, x2
right_shift: x1, x2
isnan: x
isinf: x
isposinf: x
isneginf: x
isfinite: x
signbit: x
copysign: x1, x2
nan_to_num: x, copy?, nan?, posinf?, neginf?
where: condition, x, y
clip: arr, min?, max?, a_min?, a_max?
real: val
imag: val
conj: x
conjugate: x
sum: a, axis?, dtype?, out?, keepdims?, initial?, where?, promote_integers?
prod: a, axis?, dtype?, out?, keepdims?, initial?, where?, promote_integers?
max: a, axis?, out?, keepdims?, initial?, where?
min: a, axis?, out?, keepdims?, initial?, where?
amax: a, axis?, out?, keepdims?, initial?, where?
amin: a, axis?, out?, keepdims?, initial?, where?
all: a, axis?, out?, keepdims?, where?
any: a, axis?, out?, keepdims?, where?
mean: a, axis?, dtype?, out?, keepdims?, where?
var(variance): a, axis?, dtype?, out?, ddof?, keepdims?, where?, correction?
std: a, axis?, dtype?, out?, ddof?, keepdims?, where?, correction?
argmax: a, axis?, out?, keepdims?
argmin: a, axis?, out?, keepdims?
cumsum: a, axis?, dtype?, out?
cumprod: a, axis?, dtype?, out?
cumulative_sum: x, axis?, dtype?
cumulative_prod: x, axis?, dtype?
nansum: a, axis?, dtype?, out?, keepdims?, initial?, where?
nanprod: a, axis?, dtype?, out?, keepdims?, initial?, where?
nanmax: a, axis?, out?, keepdims?, initial?, where?
nanmin: a, axis?, out?, keepdims?, initial?, where?
nanmean: a, axis?, dtype?, out?, keepdims?, where?
ptp: a, axis?, out?, keepdims?
count_nonzero: a, axis?, keepdims?
average: a, axis?, weights?, returned?, keepdims?
median: a, axis?, out?, overwrite_input?, keepdims?
quantile: a, q, axis?, out?, overwrite_input?, method?, keepdims?, interpolation?
percentile: a, q, axis?, out?, overwrite_input?, method?, keepdims?
reshape: a, shape, order?
ravel: a, order?
transpose: a, axes?
permute_dims: a, axes?
matrix_transpose: x
swapaxes: a, axis1, axis2
moveaxis: a, source, destination
expand_dims: a, axis
squeeze: a, axis?
broadcast_to: array, shape
broadcast_arrays: *args
broadcast_shapes: *shapes
concatenate: arrays, axis?, dtype?
concat: arrays, axis?
stack: arrays, axis?, dtype?
vstack: tup, dtype?
row_stack: tup, dtype?
hstack: tup, dtype?
dstack: tup, dtype?
column_stack: tup
atleast_1d(atleast1d): a
atleast_2d(atleast2d): a
atleast_3d(atleast3d): a
split: ary, indices_or_sections, axis?
array_split: ary, indices_or_sections, axis?
hsplit: ary, indices_or_sections
vsplit: ary, indices_or_sections
dsplit: ary, indices_or_sections
tile: A, reps
repeat: a, repeats, axis?, total_repeat_length?
flip: m, axis?
fliplr: m
flipud: m
roll: a, shift, axis?
rot90: m, k?, axes?
pad: array, pad_width, mode?, constant_values?
append: arr, values, axis?
ndim: a
shape: a
size: a
dot: a, b
vdot: a, b
inner: a, b
outer: a, b
matmul: a, b
tensordot: a, b, axes?
einsum: subscripts, *operands
kron: a, b
cross: a, b, axisa?, axisb?, axisc?, axis?
trace: a, offset?, axis1?, axis2?, dtype?
take: a, indices, axis?, out?, mode?, fill_value?
take_along_axis: arr, indices, axis, mode?, fill_value?
sort: a, axis?, kind?, order?, stable?, descending?
argsort: a, axis?, kind?, order?, stable?, descending?
searchsorted: a, v, side?, sorter?
unique: ar, return_index?, return_inverse?, return_counts?, axis?, equal_nan?, size?, fill_value?
nonzero: a, size?, fill_value?
flatnonzero: a, size?, fill_value?
argwhere: a, size?, fill_value?
diff: a, n?, axis?, prepend?, append?
ediff1d: ary, to_end?, to_begin?
convolve: a, v, mode?
correlate: a, v, mode?
interp: x, xp, fp, left?, right?, period?
polyval: p, x
polyfit: x, y, deg
nanvar: a, axis?, dtype?, out?, ddof?, keepdims?, where?
nanstd: a, axis?, dtype?, out?, ddof?, keepdims?, where?
nanargmax: a, axis?, out?, keepdims?
nanargmin: a, axis?, out?, keepdims?
cov: m, y?, rowvar?, bias?, ddof?
corrcoef: x, y?, rowvar?
bincount: x, weights?, minlength?, length?
histogram: a, bins?, range?, weights?, density?
trapezoid: y, x?, dx?, axis?
vander: x, N?, increasing?
isin: element, test_elements, assume_unique?, invert?
isclose: a, b, rtol?, atol?, equal_nan?
partition: a, kth, axis?
argpartition: a, kth, axis?
choose: a, choices, out?, mode?
compress: condition, a, axis?, size?, fill_value?, out?
extract: condition, arr, size?, fill_value?
select: condlist, choicelist, default?
digitize: x, bins, right?, method?
diagflat: v, k?
tril_indices: n, k?, m?
triu_indices: n, k?, m?
rollaxis: a, axis, start?
vecdot: x1, x2, axis?
matvec: x1, x2
vecmat: x1, x2
nancumsum: a, axis?, dtype?, out?
nancumprod: a, axis?, dtype?, out?
unique_values: x, size?, fill_value?
unique_counts: x, size?, fill_value?
unique_inverse: x, size?, fill_value?
unique_all: x, size?, fill_value?
union1d: ar1, ar2, size?, fill_value?
intersect1d: ar1, ar2, assume_unique?, return_indices?, size?, fill_value?
setdiff1d: ar1, ar2, assume_unique?, size?, fill_value?
setxor1d: ar1, ar2, assume_unique?, size?, fill_value?
in1d: ar1, ar2, assume_unique?, invert?
polyadd: a1, a2
polysub: a1, a2
polymul: a1, a2, trim_leading_zeros?
polyder: p, m?
polyint: p, m?, k?
gcd: x1, x2
lcm: x1, x2
frexp: x
ldexp: x1, x2
modf: x
spacing: x
bitwise_count: x
i0: x
delete: arr, obj, axis?, assume_unique_indices?
insert: arr, obj, values, axis?
block: arrays
resize: a, new_shape
trim_zeros: filt, trim?, axis?
fill_diagonal: a, val, wrap?, inplace?
place: arr, mask, vals, inplace?
put: a, ind, v, mode?, inplace?
indices: dimensions, dtype?, sparse?
ix_(ix_): *args
diag_indices: n, ndim?
diag_indices_from: arr
tril_indices_from: arr, k?
triu_indices_from: arr, k?
unravel_index: indices, shape
ravel_multi_index: multi_index, dims, mode?, order?
gradient: f, *varargs, axis?, edge_order?
geomspace: start, stop, num?, endpoint?, dtype?, axis?
unwrap: p, discont?, axis?, period?
histogram_bin_edges: a, bins?, range?, weights?
nanquantile: a, q, axis?, out?, overwrite_input?, method?, keepdims?
nanpercentile: a, q, axis?, out?, overwrite_input?, method?, keepdims?
nanmedian: a, axis?, out?, overwrite_input?, keepdims?
packbits: a, axis?, bitorder?
unpackbits: a, axis?, count?, bitorder?
apply_along_axis: func1d, axis, arr, *args
apply_over_axes: func, a, axes
piecewise: x, condlist, funclist, *args
lexsort: keys, axis?
put_along_axis: arr, indices, values, axis, inplace?, mode?
unstack: x, axis?
array_equiv: a1, a2
hanning: M
hamming: M
blackman: M
bartlett: M
kaiser: M, beta
angle: z, deg?
iscomplex: x
isreal: x
iscomplexobj: x
isrealobj: x
bitwise_invert: x
bitwise_left_shift: x1, x2
bitwise_right_shift: x1, x2
fromfunction: function, shape, dtype?
mask_indices: n, mask_func, k?, size?
poly: seq_of_zeros
polydiv: u, v, trim_leading_zeros?
histogramdd: sample, bins?, range?, weights?, density?
histogram2d: x, y, bins?, range?, weights?, density?
allclose: a, b, rtol?, atol?, equal_nan?
array_equal: a1, a2, equal_nan?
linalg.norm: x, ord?, axis?, keepdims?
linalg.matrix_norm: x, ord?, keepdims?
linalg.vector_norm: x, ord?, axis?, keepdims?
linalg.det: a
linalg.slogdet: a
linalg.inv: a
linalg.solve: a, b
linalg.cholesky: a
linalg.qr: a, mode?
linalg.eigh: a, UPLO?, symmetrize_input?
linalg.eigvalsh: a, UPLO?
linalg.svd: a, full_matrices?, compute_uv?, hermitian?
linalg.pinv: a, rtol?, rcond?
linalg.lstsq: a, b, rcond?
linalg.matrix_power: a, n
`;

const camel = (s: string): string => s.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function parse(spec: string): Record<string, Signature> {
  const out: Record<string, Signature> = {};
  for (const line of spec.trim().split("\n")) {
    const m = /^([\w.]+)(?:\((\w+)\))?: (.*)$/.exec(line);
    if (!m) throw new Error(`signatures: bad line ${line}`);
    const [, name, tsName, params] = m;
    const base = name.split(".").pop()!;
    const ts = (name.includes(".") ? `${name.split(".")[0]}.` : "") + (tsName ?? camel(base));
    out[name] = {
      ts,
      params: params.split(", ").map((p) => ({ name: p.replace(/[*?]/g, ""), required: !p.endsWith("?") && !p.startsWith("*"), varargs: p.startsWith("*") })),
    };
  }
  return out;
}

/** Python name (e.g. "linspace", "linalg.norm") → its TS export and NumPy parameters. */
export const SIGNATURES: Readonly<Record<string, Signature>> = parse(SPEC);
