/** @file Helpers for the extension suite: the extension's API, notebooks, cell execution. */

import * as vscode from "vscode";
import type { JaxnbApi } from "../../src/extension.js";

export async function api(): Promise<JaxnbApi> {
  const ext = vscode.extensions.getExtension<JaxnbApi>("jaxnb.jaxnb");
  if (!ext) throw new Error("the jaxnb extension is not loaded");
  return ext.activate();
}

export const workspaceUri = (): vscode.Uri => vscode.workspace.workspaceFolders![0].uri;

/** Opens (and shows) a notebook with the given code cells, on the chosen kernel. */
export async function openNotebook(cells: string[], backend: "cpu" | "webgpu" = "cpu"): Promise<vscode.NotebookDocument> {
  const data = new vscode.NotebookData(cells.map((c) => new vscode.NotebookCellData(vscode.NotebookCellKind.Code, c, "python")));
  const doc = await vscode.workspace.openNotebookDocument("jaxnb", data);
  await vscode.window.showNotebookDocument(doc);
  await vscode.commands.executeCommand("notebook.selectKernel", { id: `jaxnb-${backend}`, extension: "jaxnb.jaxnb" });
  return doc;
}

/** Runs cells and waits until each has finished (its execution summary has an end time). */
export async function runCells(doc: vscode.NotebookDocument, start = 0, end = doc.cellCount, timeoutMs = 120_000): Promise<void> {
  const cells = doc.getCells().slice(start, end);
  const before = cells.map((c) => c.executionSummary?.timing?.endTime);
  const done = () => cells.every((c, i) => c.executionSummary?.timing?.endTime !== undefined && c.executionSummary.timing.endTime !== before[i]);
  const finished = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`cells ${start}..${end} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    const sub = vscode.workspace.onDidChangeNotebookDocument(() => {
      if (done()) {
        clearTimeout(timer);
        sub.dispose();
        resolve();
      }
    });
  });
  await vscode.commands.executeCommand("notebook.cell.execute", { ranges: [{ start, end }], document: doc.uri });
  await finished;
}

const dec = new TextDecoder();

/** Every output item of a cell as [mime, text]. */
export function outputsOf(cell: vscode.NotebookCell): [string, string][] {
  return cell.outputs.flatMap((o) => o.items.map((i) => [i.mime, dec.decode(i.data)] as [string, string]));
}

export const textOf = (cell: vscode.NotebookCell): string => outputsOf(cell).map(([, t]) => t).join("");

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
