/** @file The status-bar item: the active notebook's kernel backend and devices; click to pick a kernel. */

import * as vscode from "vscode";
import type { JaxControllers } from "./controller.js";
import { NOTEBOOK_TYPE } from "./controller.js";

export function registerStatus(controllers: JaxControllers): vscode.Disposable {
  const item = vscode.window.createStatusBarItem("jaxnb.status", vscode.StatusBarAlignment.Right, 100);
  item.name = "JAX kernel";
  item.command = "notebook.selectKernel";
  item.tooltip = "JAX kernel — click to pick JAX (WebGPU) or JAX (CPU)";
  const update = (): void => {
    const nb = vscode.window.activeNotebookEditor?.notebook;
    if (!nb || nb.notebookType !== NOTEBOOK_TYPE) {
      item.text = "JAX";
      item.show();
      return;
    }
    const s = controllers.sessionOf(nb);
    if (!s) item.text = `JAX: ${controllers.backendOf(nb) === "cpu" ? "CPU" : "WebGPU"} (not started)`;
    else if (s.isDead) item.text = "$(error) JAX: kernel died";
    else item.text = s.info ? s.describe() : "$(sync~spin) JAX: starting…";
    item.show();
  };
  update();
  return vscode.Disposable.from(
    item,
    vscode.window.onDidChangeActiveNotebookEditor(update),
    controllers.onDidChangeSession(update),
  );
}
