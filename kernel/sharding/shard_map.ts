/**
 * @file `shardMap(f, {mesh, in_specs, out_specs})` (jax.shard_map): `f` runs once per device on
 * that device's blocks, with collectives (kernel/sharding/collectives.ts) over the mesh axes; the
 * results' blocks make up global arrays per out_specs. The `shard_map` primitive carries the
 * body's jaxpr (traced at block shapes with the mesh axes bound); it runs as an SPMD program, and
 * jit inlines it into the partitioned program.
 */

import { type Params, type Value, bind, definePrimitive, getAval } from "../ir/core.js";
import { type Atom, ClosedJaxpr, Jaxpr, Lit, Var, evalJaxpr, traceToJaxpr } from "../ir/jaxpr.js";
import { treeFlatten, treeUnflatten, treeDefStr } from "../ir/pytree.js";
import { type ArraySpec, type StageFn, UndefinedPrimal, Zero } from "../ir/rules.js";
import { ShapedArray } from "../ir/shape.js";
import { instantiate, tangentAval } from "../lax/helpers.js";
import { ValueError } from "../lax/errors.js";
import { jvpJaxpr } from "../ad/jvp.js";
import { backwardPass } from "../ad/transpose.js";
import { partialEvalJaxpr } from "../ad/partial_eval.js";
import { vmapJaxpr } from "../batching/jaxpr.js";
import * as lax from "../lax/index.js";
import { collectiveAxes, psum, withAxes } from "./collectives.js";
import { type Mesh, pyStr, pyTuple } from "./mesh.js";
import { splits } from "./named_sharding.js";
import { PartitionSpec, type SpecEntry } from "./partition_spec.js";

/** Specs as a pytree prefix of the values they describe (a single spec applies to everything). */
export type Specs = PartitionSpec | readonly Specs[] | { readonly [k: string]: Specs };

export interface ShardMapOptions {
  readonly mesh: Mesh;
  readonly in_specs: Specs;
  readonly out_specs: Specs;
  /** JAX's check_vma flag, kept in the equation's params (replication is not checked statically). */
  readonly check_vma?: boolean;
}

/** One spec per leaf of `tree`, from a spec tree that is a prefix of it. */
function broadcastPrefix(prefix: Specs, tree: unknown, what: string): PartitionSpec[] {
  if (prefix instanceof PartitionSpec) return treeFlatten(tree)[0].map(() => prefix);
  if (Array.isArray(prefix) && Array.isArray(tree) && prefix.length === tree.length) return prefix.flatMap((p, i) => broadcastPrefix(p as Specs, tree[i], what));
  if (typeof prefix === "object" && prefix !== null && !Array.isArray(prefix) && typeof tree === "object" && tree !== null && !Array.isArray(tree)) {
    const keys = Object.keys(prefix).sort();
    if (keys.join(",") === Object.keys(tree).sort().join(",")) return keys.flatMap((k) => broadcastPrefix((prefix as Record<string, Specs>)[k], (tree as Record<string, unknown>)[k], what));
  }
  throw new ValueError(`${what} specification must be a tree prefix of the corresponding value, got specification ${specTreeText(prefix)} for value tree ${treeDefStr(treeFlatten(tree)[1])}.`);
}

const specTreeText = (s: Specs): string =>
  s instanceof PartitionSpec ? s.toString() : Array.isArray(s) ? `(${(s as Specs[]).map(specTreeText).join(", ")})` : `{${Object.entries(s).map(([k, v]) => `'${k}': ${specTreeText(v as Specs)}`).join(", ")}}`;

const meshAxes = (mesh: Mesh): Map<string, number> => new Map(mesh.axisNames.map((n, i) => [n, mesh.shape[i]]));

/** Global shape from a block shape: each dimension times the number of blocks along it. */
const unshard = (mesh: Mesh, a: ShapedArray, spec: PartitionSpec): ShapedArray =>
  new ShapedArray(spec.dims(a.ndim).map((axes, i) => a.shape[i] * splits(mesh, axes)).map((s) => s), a.dtype, a.weakType);
const shard = (mesh: Mesh, a: ShapedArray, spec: PartitionSpec): ShapedArray =>
  new ShapedArray(spec.dims(a.ndim).map((axes, i) => a.shape[i] / splits(mesh, axes)), a.dtype, a.weakType);

/** JAX's errors for in_specs that do not fit the arguments (rank, divisibility). */
function checkArgs(name: string, mesh: Mesh, avals: readonly ShapedArray[], specs: readonly PartitionSpec[]): void {
  avals.forEach((a, i) => {
    if (specs[i].length > a.ndim) {
      throw new ValueError(
        `shard_map applied to the function '${name}' was given an in_specs entry which is too long to be compatible with the corresponding input value from the function:\n\n` +
          `in_specs[${i}] is ${specs[i].toString()} which has length ${specs[i].length}, but args[${i}] has shape ${a.strShort()}, which has rank ${a.ndim} (and ${a.ndim} < ${specs[i].length})\n\n` +
          `Entries in in_specs must be of length no greater than the number of axes in the corresponding input value.\n\nEither revise the spec to be shorter, or modify '${name}' so that its inputs have sufficient rank.`,
      );
    }
  });
  const msgs: string[] = [];
  avals.forEach((a, i) => {
    specs[i].dims(a.ndim).forEach((ns, d) => {
      const sz = splits(mesh, ns);
      if (a.shape[d] % sz) {
        const axis = ns.length > 1 ? `axes ${pyTuple(ns.map(pyStr))}` : `axis '${ns[0]}'`;
        msgs.push(`* args[${i}] of shape ${a.strShort()} corresponds to in_specs[${i}] of value ${specs[i].toString()}, which maps array axis ${d} (of size ${a.shape[d]}) to mesh ${axis} (of ${ns.length > 1 ? "total " : ""}size ${sz}), but ${sz} does not evenly divide ${a.shape[d]}`);
      }
    });
  });
  if (msgs.length) {
    const body = msgs.length === 1 ? msgs[0].slice(2) : msgs.join("\n\n");
    throw new ValueError(
      `shard_map applied to the function '${name}' was given argument arrays with axis sizes that are not evenly divisible by the corresponding mesh axis sizes:\n\n` +
        `The mesh given has shape ${pyTuple(mesh.shape.map(String))} with corresponding axis names ${pyTuple(mesh.axisNames.map(pyStr))}.\n\n${body}\n\n` +
        `Array arguments' axis sizes must be evenly divisible by the mesh axis or axes indicated by the corresponding elements of the argument's in_specs entry. Consider checking that in_specs are correct, and if so consider changing the mesh axis sizes or else padding the input and adapting '${name}' appropriately.`,
    );
  }
}

/** `jax.shard_map(f, mesh=…, in_specs=…, out_specs=…)`. */
export function shardMap<F extends (...args: never[]) => unknown>(f: F, opts: ShardMapOptions): (...args: Parameters<F>) => ReturnType<F> {
  const { mesh } = opts;
  const name = f.name || "<lambda>";
  for (const s of [...treeFlatten(opts.in_specs)[0], ...treeFlatten(opts.out_specs)[0]]) {
    if (!(s instanceof PartitionSpec)) throw new TypeError(`shard_map in_specs and out_specs must be PartitionSpecs (or trees of them), got ${String(s)}`);
    for (const a of s.axes()) if (!mesh.axisNames.includes(a)) throw new ValueError(`Resource axis: ${a} of ${s.toString()} is not found in mesh: ${pyTuple(mesh.axisNames.map(pyStr))}.`);
  }
  return ((...args: unknown[]) => {
    const [leaves, inTree] = treeFlatten(args);
    const inSpecs = broadcastPrefix(opts.in_specs as Specs, args, "shard_map in_specs");
    const avals = leaves.map((l) => getAval(l as Value));
    checkArgs(name, mesh, avals, inSpecs);
    let outTree = treeFlatten(null)[1];
    let outSpecs: PartitionSpec[] = [];
    const body = withAxes(meshAxes(mesh), () =>
      traceToJaxpr((...xs: Value[]) => {
        const out = (f as unknown as (...a: unknown[]) => unknown)(...(treeUnflatten(inTree, xs) as unknown[]));
        const [outLeaves, t] = treeFlatten(out);
        outTree = t;
        outSpecs = broadcastPrefix(opts.out_specs, out, "shard_map out_specs");
        outLeaves.forEach((o, i) => {
          const a = getAval(o as Value);
          if (outSpecs[i].length > a.ndim) {
            throw new ValueError(
              `shard_map applied to the function '${name}' was given an out_specs entry which is too long to be compatible with the corresponding output value from the function:\n\n` +
                `out_specs[${i}] is ${outSpecs[i].toString()} which has length ${outSpecs[i].length}, but ${name}(*args)[${i}] has shape ${a.strShort()}, which has rank ${a.ndim} (and ${a.ndim} < ${outSpecs[i].length})`,
            );
          }
        });
        return outLeaves as Value[];
      }, avals.map((a, i) => shard(mesh, a, inSpecs[i]))),
    );
    if (opts.check_vma ?? true) checkReplication(name, mesh, body, inSpecs, outSpecs, opts.out_specs instanceof PartitionSpec);
    const [jaxpr, consts] = hoist(body);
    const replicated = new PartitionSpec();
    const outs = bind("shard_map", [...consts, ...(leaves as Value[])], {
      jaxpr,
      mesh,
      in_specs: [...consts.map(() => replicated), ...inSpecs],
      out_specs: outSpecs,
      check_vma: opts.check_vma ?? true,
      manual_axes: [...mesh.axisNames],
    });
    return treeUnflatten(outTree, outs);
  }) as (...args: Parameters<F>) => ReturnType<F>;
}

/**
 * The mesh axes each output of a body may vary over (JAX's vma): inputs vary over the axes their
 * in_specs split them on, axis_index, ppermute and psum_scatter over their axes; psum, pmax, pmin
 * and all_gather make values the same along their axes; everything else varies as its inputs do.
 */
function varying(jaxpr: Jaxpr, ins: readonly Set<string>[]): Set<string>[] {
  const env = new Map<Var, Set<string>>();
  jaxpr.invars.forEach((v, i) => env.set(v, ins[i]));
  const of = (a: Atom): Set<string> => (a instanceof Lit ? new Set() : env.get(a) ?? new Set());
  for (const e of jaxpr.eqns) {
    const xs = e.inputs.map(of);
    const union = new Set(xs.flatMap((x) => [...x]));
    let outs: Set<string>[];
    if (["psum", "pmax", "pmin", "all_gather"].includes(e.primitive)) {
      const axes = collectiveAxes(e.params);
      outs = xs.map((x) => new Set([...x].filter((a) => !axes.includes(a))));
    } else if (e.primitive === "axis_index") outs = [new Set(collectiveAxes(e.params))];
    else if (e.primitive === "ppermute" || e.primitive === "reduce_scatter") outs = [new Set([...union, ...collectiveAxes(e.params)])];
    else if (e.params.jaxpr instanceof ClosedJaxpr && e.primitive === "jit") outs = varying(e.params.jaxpr.jaxpr, xs);
    else outs = e.outBinders.map(() => union);
    e.outBinders.forEach((v, i) => env.set(v, outs[i]));
  }
  return jaxpr.outs.map(of);
}

/** JAX's check (check_vma) that outputs whose out_specs leave out a mesh axis are the same along it. */
function checkReplication(name: string, mesh: Mesh, body: ClosedJaxpr, inSpecs: readonly PartitionSpec[], outSpecs: readonly PartitionSpec[], single: boolean): void {
  const vma = varying(body.jaxpr, inSpecs.map((s) => new Set(s.axes())));
  const msgs: string[] = [];
  vma.forEach((got, i) => {
    const spec = outSpecs[i];
    if ([...got].every((a) => spec.axes().includes(a))) return;
    const key = single ? "" : `[${i}]`;
    const left = unmentioned(mesh, spec);
    const inMesh = (xs: Iterable<string>): string => mesh.axisNames.filter((a) => [...xs].includes(a)).join(",");
    msgs.push(
      left.length > 1
        ? `* out_specs${key} is ${spec.toString()} which implies that the corresponding output value is only varying across mesh axes {${inMesh(spec.axes())}} and not {${inMesh(left.filter((a) => got.has(a)))}}, but it was inferred to be possibly varying over {${inMesh(got)}}`
        : `* out_specs${key} is ${spec.toString()} which implies that the corresponding output value is replicated across mesh axis '${left[0]}', but could not infer replication over any axes`,
    );
  });
  if (!msgs.length) return;
  const body_ = msgs.length === 1 ? msgs[0].slice(2) : msgs.join("\n\n");
  throw new ValueError(
    `shard_map applied to the function '${name}' was given out_specs which require replication which can't be statically inferred given the mesh:\n\n` +
      `The mesh given has shape ${pyTuple(mesh.shape.map(String))} with corresponding axis names ${pyTuple(mesh.axisNames.map(pyStr))}.\n\n${body_}\n\n` +
      "Check if these output values are meant to be replicated over those mesh axes. If not, consider revising the corresponding out_specs entries. If so, consider disabling the check by passing the check_vma=False argument to `jax.shard_map`.",
  );
}

function hoist(cj: ClosedJaxpr): [ClosedJaxpr, Value[]] {
  if (!cj.consts.length) return [cj, []];
  const j = cj.jaxpr;
  return [new ClosedJaxpr(new Jaxpr([], [...j.constvars, ...j.invars], j.eqns, j.outs), []), [...cj.consts]];
}

/** The mesh axes a spec does not mention (along which a value is the same on every device). */
const unmentioned = (mesh: Mesh, spec: PartitionSpec): string[] => mesh.axisNames.filter((a) => !spec.axes().includes(a));

/**
 * Partial evaluation of a shard_map (JAX's _shard_map_partial_eval): the body splits into a known
 * and an unknown part; the known part runs now as a shard_map of the known inputs, giving the
 * known outputs and the residuals; the unknown part is staged as a second shard_map reading them.
 * A residual that is a known input or output is passed on as that value (with its spec); the
 * others leave the known shard_map split over the mesh axes they vary along (all axes without
 * check_vma) on a leading dimension, scalars first made rank 1 (a spec needs a dimension).
 */
function shardMapPartialEval(args: Value[], unknown: boolean[], p: Params, stage: StageFn): Value[] {
  if (unknown.every(Boolean)) return stage("shard_map", args, p);
  const mesh = p.mesh as Mesh;
  const inSpecs = p.in_specs as PartitionSpec[], outSpecs = p.out_specs as PartitionSpec[];
  const axes = meshAxes(mesh);
  const split = withAxes(axes, () => partialEvalJaxpr(p.jaxpr as ClosedJaxpr, unknown, false));
  const known = split.known.jaxpr;
  const nKnownOuts = known.outs.length - split.numRes;
  const knownInSpecs = inSpecs.filter((_, i) => !unknown[i]);
  const knownOutSpecs = outSpecs.filter((_, i) => !split.outUnknowns[i]);
  if (!split.outUnknowns.some(Boolean)) return bind("shard_map", args, p);
  // Where each residual comes from: a known input, a known output, or a new output of the known part.
  const resAtoms = known.outs.slice(nKnownOuts);
  const knownOutAtoms = known.outs.slice(0, nKnownOuts);
  const vma = (p.check_vma as boolean) ? varying(known, knownInSpecs.map((s) => new Set(s.axes()))) : null;
  const fresh: number[] = [];
  const source: { from: "input" | "output" | "fresh"; index: number }[] = [];
  const resSpecs = resAtoms.map((r, j) => {
    const i = r instanceof Var ? known.invars.indexOf(r) : -1;
    if (i >= 0) return source.push({ from: "input", index: i }), knownInSpecs[i];
    const o = r instanceof Var ? knownOutAtoms.indexOf(r) : -1;
    if (o >= 0) return source.push({ from: "output", index: o }), knownOutSpecs[o];
    source.push({ from: "fresh", index: fresh.push(j) - 1 });
    const names = vma ? mesh.axisNames.filter((a) => vma[nKnownOuts + j].has(a)) : [...mesh.axisNames];
    return new PartitionSpec(names.length === 0 ? null : names.length === 1 ? names[0] : names);
  });
  const promoted = resAtoms.map((r, j) => source[j].from === "fresh" && r.aval.ndim === 0);
  const knownBody = withAxes(axes, () =>
    traceToJaxpr((...xs: Value[]) => {
      const outs = evalJaxpr(known, split.known.consts, xs);
      return [...outs.slice(0, nKnownOuts), ...fresh.map((j) => (promoted[j] ? lax.broadcastInDim(outs[nKnownOuts + j], [1], []) : outs[nKnownOuts + j]))];
    }, split.known.inAvals),
  );
  const knownArgs = args.filter((_, i) => !unknown[i]);
  const knownRes = bind("shard_map", knownArgs, withBody(p, knownBody, knownInSpecs, [...knownOutSpecs, ...fresh.map((j) => resSpecs[j])]));
  const residuals = source.map((s) => (s.from === "input" ? knownArgs[s.index] : s.from === "output" ? knownRes[s.index] : knownRes[nKnownOuts + s.index]));
  const unknownArgs = args.filter((_, i) => unknown[i]);
  const uj = split.unknown;
  const resAvals = uj.inAvals.slice(0, split.numRes).map((a, j) => (promoted[j] ? new ShapedArray([1], a.dtype, a.weakType) : a));
  const unknownBody = withAxes(axes, () =>
    traceToJaxpr((...xs: Value[]) => {
      const res = xs.slice(0, split.numRes).map((r, j) => (promoted[j] ? lax.reshape(r, []) : r));
      return evalJaxpr(uj.jaxpr, uj.consts, [...res, ...xs.slice(split.numRes)]);
    }, [...resAvals, ...uj.inAvals.slice(split.numRes)]),
  );
  const unknownOuts = stage("shard_map", [...residuals, ...unknownArgs], withBody(p, unknownBody, [...resSpecs, ...inSpecs.filter((_, i) => unknown[i])], outSpecs.filter((_, i) => split.outUnknowns[i])));
  let k = 0, u = 0;
  return split.outUnknowns.map((isUnknown) => (isUnknown ? unknownOuts[u++] : knownRes[k++]));
}

const withBody = (p: Params, jaxpr: ClosedJaxpr, inSpecs: PartitionSpec[], outSpecs: PartitionSpec[]): Params => ({ ...p, jaxpr, in_specs: inSpecs, out_specs: outSpecs });

definePrimitive("shard_map", {
  abstractEval: (avals, p) => {
    const mesh = p.mesh as Mesh;
    const body = p.jaxpr as ClosedJaxpr;
    const inSpecs = p.in_specs as PartitionSpec[];
    avals.forEach((a, i) => {
      const want = unshard(mesh, body.inAvals[i], inSpecs[i]);
      if (a.dtype !== want.dtype || a.shape.join(",") !== want.shape.join(",")) throw new TypeError(`shard_map: argument ${i} is ${a.strShort()}, the body expects blocks of ${want.strShort()}`);
    });
    return body.outAvals.map((a, i) => unshard(mesh, a, (p.out_specs as PartitionSpec[])[i]));
  },
  // One shard_map of the body's JVP gives primal and tangent outputs (JAX's _shard_map_jvp);
  // under grad, partial evaluation splits it into a forward and a tangent shard_map.
  jvp: (primals, tangents, p) => {
    const nz = tangents.map((t) => !(t instanceof Zero));
    if (!nz.some(Boolean)) {
      const outs = bind("shard_map", primals, p);
      return [outs, outs.map((o) => new Zero(tangentAval(getAval(o))))];
    }
    const mesh = p.mesh as Mesh;
    const inSpecs = p.in_specs as PartitionSpec[], outSpecs = p.out_specs as PartitionSpec[];
    const { jaxpr, outNonzeros } = withAxes(meshAxes(mesh), () => jvpJaxpr(p.jaxpr as ClosedJaxpr, nz, false));
    const tOutSpecs = outSpecs.filter((_, i) => outNonzeros[i]);
    const res = bind("shard_map", [...primals, ...(tangents.filter((t) => !(t instanceof Zero)) as Value[])], withBody(p, jaxpr, [...inSpecs, ...inSpecs.filter((_, i) => nz[i])], [...outSpecs, ...tOutSpecs]));
    const outs = res.slice(0, outSpecs.length);
    let k = outs.length;
    return [outs, outs.map((o, i) => (outNonzeros[i] ? res[k++] : new Zero(tangentAval(getAval(o)))))];
  },
  partialEval: shardMapPartialEval,
  // A shard_map of the body's transpose. A replicated output's cotangent reaches every device,
  // so each takes its share (divided by the devices along the axes the out spec leaves out); a
  // replicated input's cotangent is summed over the devices along those axes (JAX's rule).
  transpose: (cts, args, p) => {
    const mesh = p.mesh as Mesh;
    const body = p.jaxpr as ClosedJaxpr;
    const inSpecs = p.in_specs as PartitionSpec[], outSpecs = p.out_specs as PartitionSpec[];
    const linear = args.map((a) => a instanceof UndefinedPrimal);
    const nonLinear = args.filter((a): a is Value => !(a instanceof UndefinedPrimal));
    const f = (...xs: Value[]): Value[] => {
      let k = 0;
      const local = body.inAvals.map((a, i) => (linear[i] ? new UndefinedPrimal(a) : xs[k++]));
      const ctIn = xs.slice(k).map((c, i) => {
        const n = unmentioned(mesh, outSpecs[i]).reduce((s, a) => s * mesh.axisSize(a), 1);
        return n === 1 ? c : lax.div(c, n);
      });
      const out = backwardPass(body.jaxpr, body.consts, local, ctIn);
      return out.flatMap((ct, i) => (linear[i] ? [psumOver(instantiate(ct!), unmentioned(mesh, inSpecs[i]))] : []));
    };
    const t = withAxes(meshAxes(mesh), () => traceToJaxpr(f, [...body.inAvals.filter((_, i) => !linear[i]), ...body.outAvals]));
    const outs = bind("shard_map", [...nonLinear, ...cts.map(instantiate)], withBody(p, t, [...inSpecs.filter((_, i) => !linear[i]), ...outSpecs], inSpecs.filter((_, i) => linear[i])));
    let k = 0;
    return linear.map((l) => (l ? outs[k++] : null));
  },
  // vmap of shard_map: the body batched, the batch dimension never split.
  batch: (args, dims, p, size) => {
    const mesh = p.mesh as Mesh;
    const insert = (s: PartitionSpec, d: number | null, ndim: number): PartitionSpec => {
      if (d === null) return s;
      const e: SpecEntry[] = [...s.entries];
      while (e.length < ndim) e.push(null);
      e.splice(d, 0, null);
      return new PartitionSpec(...e);
    };
    const body = p.jaxpr as ClosedJaxpr;
    const [batched] = withAxes(meshAxes(mesh), () => vmapJaxpr(body, size, dims, 0));
    const inSpecs = (p.in_specs as PartitionSpec[]).map((s, i) => insert(s, dims[i], body.inAvals[i].ndim));
    const outSpecs = (p.out_specs as PartitionSpec[]).map((s, i) => insert(s, 0, body.outAvals[i].ndim));
    const outs = bind("shard_map", args, withBody(p, batched, inSpecs, outSpecs));
    return [outs, outs.map(() => 0)];
  },
  // Runs as an SPMD program (kernel/sharding/eager.ts routes every shard_map there).
  lower: {
    kind: "impl",
    impl: () => {
      throw new Error("shard_map runs through the sharding runtime (import kernel/sharding)");
    },
  },
});

const psumOver = (x: Value, axes: readonly string[]): Value => (axes.length ? psum(x, axes) : x);

/** The per-dimension axis lists of a shard_map's specs for its body's avals. */
export function specDims(specs: readonly PartitionSpec[], avals: readonly ShapedArray[]): ArraySpec[] {
  return specs.map((s, i) => s.dims(avals[i].ndim));
}
