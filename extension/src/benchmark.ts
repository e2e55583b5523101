/**
 * @file "JAX: Benchmark Function": pick a function of the running kernel (or the one under the
 * cursor), an input size and backends; the kernel runs the post's four methods (Baseline, JIT,
 * Sharding, Sharding + JIT) under a cancellable progress notification; the result opens in a
 * panel (chart, table, compile time) with "Insert into notebook". A "Benchmark" code lens above
 * each top-level def in a cell runs it for that function.
 */

import * as vscode from "vscode";
import type { JaxControllers } from "./controller.js";
import { NOTEBOOK_TYPE } from "./controller.js";
import { evaluate, pyStr } from "./evaluate.js";
import type { BenchmarkResult } from "../../webview/benchmark-spec.js";
import { functionNameAt } from "./hover.js";

export const MIME_BENCHMARK = "application/vnd.jaxnb.benchmark+json";

export interface BenchmarkArgs {
  function?: string;
  size?: string;
  backends?: string[];
  repeats?: number;
  /** Skip the panel (tests and scripted use). */
  showPanel?: boolean;
}

export function registerBenchmark(context: vscode.ExtensionContext, controllers: JaxControllers): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand("jaxnb.benchmarkFunction", (args?: BenchmarkArgs) => runBenchmark(context, controllers, args ?? {})),
    vscode.languages.registerCodeLensProvider({ scheme: "vscode-notebook-cell", language: "python" }, { provideCodeLenses: benchmarkLenses }),
  );
}

/** A top-level `def name(` (or `async def`): the functions a cell leaves in the namespace. */
const TOP_LEVEL_DEF = /^(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(/;

/** "Benchmark" above each top-level def of a cell in a JAX notebook. */
export function benchmarkLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
  const nb = vscode.workspace.notebookDocuments.find((n) => n.getCells().some((c) => c.document === doc));
  if (nb?.notebookType !== NOTEBOOK_TYPE) return [];
  const lenses: vscode.CodeLens[] = [];
  for (let i = 0; i < doc.lineCount; i++) {
    const m = TOP_LEVEL_DEF.exec(doc.lineAt(i).text);
    if (!m) continue;
    const args: BenchmarkArgs = { function: m[1] };
    lenses.push(new vscode.CodeLens(doc.lineAt(i).range, { title: "Benchmark", tooltip: `JAX: Benchmark Function — ${m[1]}`, command: "jaxnb.benchmarkFunction", arguments: [args] }));
  }
  return lenses;
}

export async function runBenchmark(context: vscode.ExtensionContext, controllers: JaxControllers, args: BenchmarkArgs): Promise<BenchmarkResult | undefined> {
  const editor = vscode.window.activeNotebookEditor;
  const nb = editor?.notebook;
  if (!nb || nb.notebookType !== NOTEBOOK_TYPE) {
    void vscode.window.showErrorMessage("Open a JAX notebook (.jaxnb) to benchmark one of its functions.");
    return undefined;
  }
  const session = await controllers.ensureSession(nb);
  const fns = await evaluate<string[]>(session, "_jaxnb_tools.functions()");
  let fn = args.function;
  if (!fn) {
    const ed = vscode.window.activeTextEditor;
    const under = ed ? functionNameAt(ed.document.lineAt(ed.selection.active.line).text, ed.selection.active.character) : undefined;
    if (!fns.length) {
      void vscode.window.showErrorMessage("The kernel has no functions yet: run the cell that defines one first.");
      return undefined;
    }
    fn = await vscode.window.showQuickPick(under && fns.includes(under) ? [under, ...fns.filter((f) => f !== under)] : fns, { title: "Benchmark which function?" });
    if (!fn) return undefined;
  } else if (!fns.includes(fn)) {
    // A code lens above a def whose cell has not run yet.
    void vscode.window.showErrorMessage(`The kernel has no function ${fn} yet: run the cell that defines it first.`);
    return undefined;
  }
  const cfg = vscode.workspace.getConfiguration("jaxnb.benchmark");
  const size = args.size ?? (await vscode.window.showInputBox({
    title: "Input size (points of linspace(-4, 4, n)), or a Python expression for the input",
    value: String(cfg.get<number>("size", 10_000_000)),
  }));
  if (!size) return undefined;
  const available = ["cpu", ...session.devices.some((d) => d.platform === "webgpu") ? ["webgpu"] : []];
  const backends = args.backends ?? (available.length === 1 ? available : (await vscode.window.showQuickPick(available, { canPickMany: true, title: "Backends" })));
  if (!backends?.length) return undefined;
  const repeats = args.repeats ?? cfg.get<number>("repeats", 5);

  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Benchmarking ${fn}…`, cancellable: true },
    async (_p, token) => {
      const sub = token.onCancellationRequested(() => void session.client.interrupt());
      try {
        return await evaluate<BenchmarkResult>(session, `_jaxnb_tools.benchmark(${pyStr(fn!)}, ${pyStr(size)}, ${JSON.stringify(backends)}, ${repeats})`);
      } catch (e) {
        if (token.isCancellationRequested) return undefined;
        const message = (e as Error).message.split("\n")[0];
        void vscode.window.showErrorMessage(`Benchmark of ${fn} failed: ${message}`);
        return { function: fn!, size: 0, runs: [], error: message } satisfies BenchmarkResult;
      } finally {
        sub.dispose();
      }
    },
  );
  if (result && !result.error && args.showPanel !== false) showPanel(context, nb, result);
  return result;
}

/** The panel in the editor's theme (its fonts, colours and buttons), as VS Code's own views look. */
const PANEL_STYLE = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 8px 16px; }
button { font-family: inherit; font-size: inherit; color: var(--vscode-button-foreground); background: var(--vscode-button-background);
  border: 1px solid var(--vscode-button-border, transparent); border-radius: 2px; padding: 4px 12px; margin: 0 8px 8px 0; cursor: pointer; }
button:hover { background: var(--vscode-button-hoverBackground); }
button.jaxnb-logscale { color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); }
button.jaxnb-logscale:hover { background: var(--vscode-button-secondaryHoverBackground); }
table.jaxnb-bench-table { border-collapse: collapse; margin: 16px 0 8px; font-variant-numeric: tabular-nums; }
.jaxnb-bench-table th, .jaxnb-bench-table td { padding: 4px 12px; border-bottom: 1px solid var(--vscode-panel-border, rgba(128,128,128,0.35)); text-align: right; }
.jaxnb-bench-table th:nth-child(-n+2), .jaxnb-bench-table td:nth-child(-n+2) { text-align: left; }
.jaxnb-bench-table th { font-weight: 600; }
p { color: var(--vscode-descriptionForeground); }
`;

function showPanel(context: vscode.ExtensionContext, nb: vscode.NotebookDocument, result: BenchmarkResult): void {
  const panel = vscode.window.createWebviewPanel("jaxnb.benchmark", `Benchmark: ${result.function}`, vscode.ViewColumn.Beside, {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, "out", "webview")],
  });
  const script = panel.webview.asWebviewUri(vscode.Uri.joinPath(context.extensionUri, "out", "webview", "panel.js"));
  const nonce = Array.from({ length: 32 }, () => Math.floor(Math.random() * 36).toString(36)).join("");
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src ${panel.webview.cspSource} 'unsafe-inline'`,
    `img-src ${panel.webview.cspSource} data: blob:`,
    `font-src ${panel.webview.cspSource}`,
  ].join("; ");
  panel.webview.html = `<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<style>${PANEL_STYLE}</style></head>
<body><div id="root"></div>
<script nonce="${nonce}" id="jaxnb-data" type="application/json">${JSON.stringify(result).replace(/</g, "\\u003c")}</script>
<script nonce="${nonce}" src="${script}"></script></body></html>`;
  // The notebook is the one the benchmark ran in, kept here: with the panel focused there is no
  // active notebook editor. VS Code drops a message handler's rejection silently, so failures are
  // shown.
  panel.webview.onDidReceiveMessage(async (m: { type: string }) => {
    if (m.type !== "insert") return;
    try {
      await insertResult(nb.isClosed ? await vscode.workspace.openNotebookDocument(nb.uri) : nb, result);
    } catch (e) {
      void vscode.window.showErrorMessage(`Could not insert the benchmark of ${result.function} into the notebook: ${(e as Error).message}`);
    }
  });
}

/**
 * Adds the result to the notebook as a new code cell's output, after the selected cell (at the end
 * when no cell is selected or the notebook is not on screen), then selects and reveals that cell.
 */
export async function insertResult(nb: vscode.NotebookDocument, result: BenchmarkResult): Promise<void> {
  const editor = vscode.window.visibleNotebookEditors.find((e) => e.notebook === nb);
  // `selection` is typed as always set but is `selections[0]`, undefined when no cell is selected
  // (the UI walk-through gets there by keyboard), so the position comes from `selections`.
  const selected = editor?.selections[0];
  const at = selected ? selected.end : nb.cellCount;
  const cell = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, `# JAX: Benchmark Function — ${result.function}, n = ${result.size}`, "python");
  const text = result.runs.map((r) => `${r.method} [${r.backend}, ${r.devices} device${r.devices === 1 ? "" : "s"}]: ${r.median_ms.toFixed(3)} ms`).join("\n");
  cell.outputs = [new vscode.NotebookCellOutput([
    vscode.NotebookCellOutputItem.json(result, MIME_BENCHMARK),
    vscode.NotebookCellOutputItem.text(text, "text/plain"),
  ])];
  const edit = new vscode.WorkspaceEdit();
  edit.set(nb.uri, [vscode.NotebookEdit.insertCells(at, [cell])]);
  if (!(await vscode.workspace.applyEdit(edit))) throw new Error("VS Code refused the edit");
  const range = new vscode.NotebookRange(at, at + 1);
  if (editor) {
    editor.selections = [range];
    editor.revealRange(range, vscode.NotebookEditorRevealType.InCenterIfOutsideViewport);
  } else {
    await vscode.window.showNotebookDocument(nb, { selections: [range], preserveFocus: true });
  }
}
