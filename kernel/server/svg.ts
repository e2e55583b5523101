/** @file Renders vega-lite specs to SVG in Node (for `savefig("x.svg")`), with vega's headless view. */

/** vega and vega-lite load on first use: most sessions never save a figure. */
export async function vegaLiteToSvg(spec: unknown): Promise<string> {
  const [vega, vl] = await Promise.all([import("vega"), import("vega-lite")]);
  const compiled = vl.compile(spec as Parameters<typeof vl.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
