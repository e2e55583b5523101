/**
 * @file Derivative hovers: hovering a function's name in a cell (at its `def`, at a call, or
 * inside `grad(f)`) shows its derivative as a formula and the jaxpr of its gradient, computed by
 * the kernel (`_jaxnb.tools.derivative`, which traces `grad` and prints it with
 * kernel/ad/symbolic.ts). Errors show as one short line.
 */

import * as vscode from "vscode";
import type { JaxControllers } from "./controller.js";
import { evaluate, pyStr } from "./evaluate.js";
import { wrapFormula } from "./formula.js";

export interface DerivativeInfo {
  name: string;
  /** Lines of the formula: `f′(x) = …`, then `where u = …` lines; partials for several arguments. */
  formula: string[];
  /** The second derivative, when it fits. */
  second?: string[];
  /** The jaxpr of grad(f) (or of jacfwd(f) for functions that are not scalar-to-scalar). */
  jaxpr?: string;
  error?: string;
}

/** The function name a hover at `offset` of `line` refers to, if any. */
export function functionNameAt(line: string, offset: number): string | undefined {
  const re = /[A-Za-z_][A-Za-z0-9_]*/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) {
    if (offset < m.index || offset > m.index + m[0].length) continue;
    const name = m[0];
    const before = line.slice(0, m.index);
    const after = line.slice(m.index + name.length);
    if (/\bdef\s+$/.test(before)) return name;
    if (/^\s*\(/.test(after)) return name;
    if (/\b(?:jax\.)?(?:grad|value_and_grad|jacfwd|jacrev|hessian|vmap|jit)\(\s*$/.test(before)) return name;
    return undefined;
  }
  return undefined;
}

export function hoverMarkdown(info: DerivativeInfo): vscode.MarkdownString {
  const md = new vscode.MarkdownString();
  if (info.error) {
    md.appendText(`${info.name}: ${info.error.split("\n")[0]}`);
    return md;
  }
  md.appendCodeblock(info.formula.flatMap((l) => wrapFormula(l)).join("\n"), "text");
  if (info.second?.length) md.appendCodeblock(info.second.flatMap((l) => wrapFormula(l)).join("\n"), "text");
  if (info.jaxpr) {
    md.appendMarkdown("\n**jaxpr**\n");
    md.appendCodeblock(info.jaxpr, "text");
  }
  return md;
}

export function registerHover(controllers: JaxControllers): vscode.Disposable {
  return vscode.languages.registerHoverProvider({ scheme: "vscode-notebook-cell", language: "python" }, {
    async provideHover(doc, position) {
      const name = functionNameAt(doc.lineAt(position.line).text, position.character);
      if (!name) return undefined;
      const nb = vscode.workspace.notebookDocuments.find((n) => n.getCells().some((c) => c.document === doc));
      const s = nb && controllers.sessionOf(nb);
      if (!s || s.isDead) return new vscode.Hover(new vscode.MarkdownString("Run a cell to start the JAX kernel: derivative hovers are computed by it."));
      // The cell that defines the function, for a function the kernel has not run yet.
      const defCell = nb.getCells().find((c) => new RegExp(`^\\s*def\\s+${name}\\s*\\(`, "m").test(c.document.getText()));
      try {
        const info = await evaluate<DerivativeInfo>(s, `_jaxnb_tools.derivative(${pyStr(name)}, ${pyStr(defCell?.document.getText() ?? "")})`);
        return new vscode.Hover(hoverMarkdown(info));
      } catch (e) {
        return new vscode.Hover(new vscode.MarkdownString().appendText(`${name}: ${(e as Error).message.split("\n")[0]}`));
      }
    },
  });
}
