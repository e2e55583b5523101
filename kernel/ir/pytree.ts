/**
 * @file Pytrees: arrays (JS arrays stand for tuples and lists), plain objects (dicts, keys
 * sorted), null/undefined (None) and registered custom nodes; everything else is a leaf.
 */

export interface NodeType<T = unknown> {
  readonly name: string;
  /** Children and auxiliary data (hashable by JSON) of a node. */
  flatten(x: T): [unknown[], unknown];
  unflatten(aux: unknown, children: unknown[]): T;
}

const customNodes = new Map<Function, NodeType>();

/** Registers a class as a pytree node (jax.tree_util.register_pytree_node). */
export function registerPytreeNode<T>(cls: abstract new (...a: never[]) => T, node: NodeType<T>): void {
  customNodes.set(cls, node as NodeType);
}

export type PyTreeDef =
  | { readonly kind: "leaf" }
  | { readonly kind: "none" }
  | { readonly kind: "list"; readonly children: readonly PyTreeDef[] }
  | { readonly kind: "dict"; readonly keys: readonly string[]; readonly children: readonly PyTreeDef[] }
  | { readonly kind: "custom"; readonly node: NodeType; readonly aux: unknown; readonly children: readonly PyTreeDef[] };

const LEAF: PyTreeDef = { kind: "leaf" };
const NONE: PyTreeDef = { kind: "none" };

const isPlainObject = (x: unknown): x is Record<string, unknown> =>
  typeof x === "object" && x !== null && Object.getPrototypeOf(x) === Object.prototype;

export function treeFlatten(x: unknown, isLeaf?: (x: unknown) => boolean): [unknown[], PyTreeDef] {
  const leaves: unknown[] = [];
  const go = (y: unknown): PyTreeDef => {
    if (isLeaf?.(y)) {
      leaves.push(y);
      return LEAF;
    }
    if (y === null || y === undefined) return NONE;
    if (Array.isArray(y)) return { kind: "list", children: y.map(go) };
    if (typeof y === "object") {
      const node = customNodes.get((y as object).constructor);
      if (node) {
        const [children, aux] = node.flatten(y);
        return { kind: "custom", node, aux, children: children.map(go) };
      }
      if (isPlainObject(y)) {
        const keys = Object.keys(y).sort();
        return { kind: "dict", keys, children: keys.map((k) => go(y[k])) };
      }
    }
    leaves.push(y);
    return LEAF;
  };
  const def = go(x);
  return [leaves, def];
}

export function treeUnflatten(def: PyTreeDef, leaves: readonly unknown[]): unknown {
  let i = 0;
  const go = (d: PyTreeDef): unknown => {
    switch (d.kind) {
      case "leaf":
        if (i >= leaves.length) throw new Error("treeUnflatten: too few leaves");
        return leaves[i++];
      case "none": return null;
      case "list": return d.children.map(go);
      case "dict": return Object.fromEntries(d.keys.map((k, j) => [k, go(d.children[j])]));
      case "custom": return d.node.unflatten(d.aux, d.children.map(go));
    }
  };
  const out = go(def);
  if (i !== leaves.length) throw new Error(`treeUnflatten: expected ${i} leaves, got ${leaves.length}`);
  return out;
}

export const treeLeaves = (x: unknown, isLeaf?: (x: unknown) => boolean): unknown[] => treeFlatten(x, isLeaf)[0];
export const treeStructure = (x: unknown): PyTreeDef => treeFlatten(x)[1];

export function treeNumLeaves(def: PyTreeDef): number {
  switch (def.kind) {
    case "leaf": return 1;
    case "none": return 0;
    default: return def.children.reduce((a, c) => a + treeNumLeaves(c), 0);
  }
}

export function treeDefEqual(a: PyTreeDef, b: PyTreeDef): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "leaf" || a.kind === "none") return true;
  const bc = (b as { children: readonly PyTreeDef[] }).children;
  if (a.children.length !== bc.length) return false;
  if (a.kind === "dict" && (b.kind !== "dict" || a.keys.join("\0") !== b.keys.join("\0"))) return false;
  if (a.kind === "custom" && (b.kind !== "custom" || a.node !== b.node || JSON.stringify(a.aux) !== JSON.stringify(b.aux))) return false;
  return a.children.every((c, i) => treeDefEqual(c, bc[i]));
}

/** JAX's PyTreeDef repr: `PyTreeDef((*, {'a': *}))`. */
export function treeDefStr(def: PyTreeDef): string {
  const go = (d: PyTreeDef): string => {
    switch (d.kind) {
      case "leaf": return "*";
      case "none": return "None";
      case "list": return d.children.length === 1 ? `(${go(d.children[0])},)` : `(${d.children.map(go).join(", ")})`;
      case "dict": return `{${d.keys.map((k, i) => `'${k}': ${go(d.children[i])}`).join(", ")}}`;
      case "custom": return `CustomNode(${d.node.name}[${JSON.stringify(d.aux)}], [${d.children.map(go).join(", ")}])`;
    }
  };
  return `PyTreeDef(${go(def)})`;
}

export function treeMap(f: (...xs: unknown[]) => unknown, tree: unknown, ...rest: unknown[]): unknown {
  const [leaves, def] = treeFlatten(tree);
  const others = rest.map((r) => {
    const [l, d] = treeFlatten(r);
    if (!treeDefEqual(d, def)) throw new TypeError(`tree_map: tree structures differ: ${treeDefStr(def)} vs ${treeDefStr(d)}`);
    return l;
  });
  return treeUnflatten(def, leaves.map((x, i) => f(x, ...others.map((o) => o[i]))));
}
