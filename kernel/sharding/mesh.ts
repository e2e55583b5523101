/**
 * @file `Mesh`: devices arranged in a grid with named axes (JAX's jax.sharding.Mesh), and
 * `makeMesh` (jax.make_mesh). A device's position in the mesh gives its coordinate on every axis;
 * shardings map array dimensions to these axes.
 */

import { type Device, defaultBackend, devices as allDevices } from "../backend/device.js";
import { cpuDeviceCount } from "../backend/cpu-threads.js";
import { ValueError } from "../lax/errors.js";

/** JAX's jax.sharding.AxisType: how an axis is sharded (Auto: by the compiler; Explicit: in the types; Manual: inside shard_map). */
export type AxisType = "Auto" | "Explicit" | "Manual";

/** A nested list of devices (numpy-like device arrays are accepted as nested lists). */
export type DeviceGrid = Device | readonly DeviceGrid[];

export class Mesh {
  readonly devices: readonly Device[];
  readonly shape: readonly number[];
  readonly axisNames: readonly string[];
  readonly axisTypes: readonly AxisType[];

  /** `Mesh(devices, axis_names)`: `devices` nested to as many levels as there are axis names. */
  constructor(devices: DeviceGrid, axisNames: string | readonly string[], opts: { axisTypes?: AxisType | readonly AxisType[] } = {}) {
    const names = typeof axisNames === "string" ? [axisNames] : [...axisNames];
    const [shape, flat] = gridShape(devices);
    if (names.length !== shape.length) {
      throw new ValueError(
        `Mesh requires the ndim of its first argument (\`devices\`) to equal the length of its second argument (\`axis_names\`), but got devices.ndim == ${shape.length} and len(axis_names) == ${names.length}.`,
      );
    }
    if (new Set(names).size !== names.length) throw new ValueError(`Mesh axis names must be unique, got ${pyTuple(names.map(pyStr))}`);
    if (new Set(flat).size !== flat.length) throw new ValueError(`Mesh devices must be unique, got ${flat.map(String).join(", ")}`);
    const types = opts.axisTypes === undefined ? names.map((): AxisType => "Auto") : typeof opts.axisTypes === "string" ? names.map(() => opts.axisTypes as AxisType) : [...opts.axisTypes];
    if (types.length !== names.length) throw new ValueError(`Number of axis names should match the number of axis_types. Got axis_names=${pyTuple(names.map(pyStr))} and axis_types=${pyTuple(types)}`);
    this.devices = flat;
    this.shape = shape;
    this.axisNames = names;
    this.axisTypes = types;
  }

  get size(): number {
    return this.devices.length;
  }
  /** The size of a mesh axis (a ValueError naming the mesh's axes when there is no such axis). */
  axisSize(name: string): number {
    const i = this.axisNames.indexOf(name);
    if (i < 0) throw new ValueError(`Resource axis: ${name} is not found in mesh: ${pyTuple(this.axisNames.map(pyStr))}.`);
    return this.shape[i];
  }
  /** The coordinate of the device at flat position `k` on each axis. */
  coords(k: number): number[] {
    const c = new Array<number>(this.shape.length);
    for (let i = this.shape.length - 1; i >= 0; i--) {
      c[i] = k % this.shape[i];
      k = Math.floor(k / this.shape[i]);
    }
    return c;
  }
  /** The flat position of the device at `coords`. */
  position(coords: readonly number[]): number {
    return coords.reduce((acc, c, i) => acc * this.shape[i] + c, 0);
  }
  /** Positions of the devices that differ from position `k` only on the given axes (in mesh order). */
  group(k: number, axes: readonly string[]): number[] {
    const base = this.coords(k);
    const idx = axes.map((a) => this.axisNames.indexOf(a));
    const sizes = idx.map((i) => this.shape[i]);
    const total = sizes.reduce((a, b) => a * b, 1);
    const out: number[] = [];
    for (let j = 0; j < total; j++) {
      const c = [...base];
      let r = j;
      for (let q = idx.length - 1; q >= 0; q--) {
        c[idx[q]] = r % sizes[q];
        r = Math.floor(r / sizes[q]);
      }
      out.push(this.position(c));
    }
    return out;
  }
  /** Whether two meshes are the same grid of the same devices with the same names. */
  equals(o: Mesh): boolean {
    return this === o || (sameList(this.axisNames, o.axisNames) && sameList(this.shape, o.shape) && sameList(this.devices, o.devices) && sameList(this.axisTypes, o.axisTypes));
  }
  /** A key for caches: equal meshes have equal keys. */
  key(): string {
    return `${this.axisNames.join(",")}|${this.shape.join(",")}|${this.devices.map((d) => `${d.platform}${d.id}`).join(",")}|${this.axisTypes.join(",")}`;
  }
  /** JAX's str(mesh): `Mesh('x': 4, 'y': 1, axis_types=(Auto, Auto))`. */
  toString(): string {
    return `Mesh(${this.axisNames.map((n, i) => `'${n}': ${this.shape[i]}`).join(", ")}, axis_types=${pyTuple(this.axisTypes)})`;
  }
  /** JAX's repr(mesh): `Mesh(axis_sizes=(4, 1), axis_names=('x', 'y'), axis_types=(Auto, Auto))`. */
  repr(): string {
    return `Mesh(axis_sizes=${pyTuple(this.shape.map(String))}, axis_names=${pyTuple(this.axisNames.map(pyStr))}, axis_types=${pyTuple(this.axisTypes)})`;
  }
}

/** `jax.make_mesh(axis_shapes, axis_names)`: a mesh over the first prod(axis_shapes) devices of the default backend. */
export function makeMesh(axisShapes: readonly number[], axisNames: readonly string[], opts: { devices?: readonly Device[]; axisTypes?: AxisType | readonly AxisType[] } = {}): Mesh {
  if (!axisShapes.every((s) => Number.isInteger(s) && s >= 0)) {
    throw new ValueError(`\`axis_shapes\` passed to \`make_mesh\` should be a sequence of ints. Got ${pyTuple(axisShapes.map(String))}`);
  }
  const devs = opts.devices ?? allDevices();
  const n = axisShapes.reduce((a, b) => a * b, 1);
  if (n > devs.length) {
    throw new ValueError(`Number of devices ${devs.length} must be >= the product of mesh_shape ${pyTuple(axisShapes.map(String))}${opts.devices ? "" : cpuHint(n)}`);
  }
  return new Mesh(nest(devs.slice(0, n), axisShapes), axisNames, { axisTypes: opts.axisTypes });
}

/**
 * JAX's message alone leaves a reader of the post puzzled when XLA_FLAGS asked for enough CPU
 * devices but the default backend is the GPU (as real JAX on a GPU machine): say how to get them.
 */
function cpuHint(n: number): string {
  if (defaultBackend() === "cpu" || cpuDeviceCount() < n) return "";
  return ` (the default backend is ${defaultBackend()}; the ${cpuDeviceCount()} CPU devices set by XLA_FLAGS are jax.devices("cpu"): ` +
    `pass devices=jax.devices("cpu") to make_mesh, or run on the CPU kernel: the "JAX (CPU)" kernel in VS Code, JAX_PLATFORMS=cpu or --platform cpu for jaxnb run)`;
}

function gridShape(g: DeviceGrid): [number[], Device[]] {
  if (!Array.isArray(g)) return [[], [g as Device]];
  const parts = (g as readonly DeviceGrid[]).map(gridShape);
  if (!parts.length) return [[0], []];
  const inner = parts[0][0];
  if (parts.some(([s]) => !sameList(s, inner))) throw new ValueError("Mesh devices must form a rectangular grid (every row of the nested list the same shape)");
  return [[parts.length, ...inner], parts.flatMap(([, f]) => f)];
}

function nest(flat: readonly Device[], shape: readonly number[]): DeviceGrid {
  if (shape.length === 0) return flat[0];
  if (shape.length === 1) return [...flat];
  const step = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0] }, (_, i) => nest(flat.slice(i * step, (i + 1) * step), shape.slice(1)));
}

const sameList = <T>(a: readonly T[], b: readonly T[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** Python's repr of a str. */
export const pyStr = (s: string): string => `'${s}'`;
/** Python's repr of a tuple whose items are already rendered. */
export const pyTuple = (items: readonly string[]): string => (items.length === 1 ? `(${items[0]},)` : `(${items.join(", ")})`);
