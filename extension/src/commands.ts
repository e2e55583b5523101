/** @file The palette commands: new notebook, the post's example, restart, CPU devices, export as .ipynb. */

import * as vscode from "vscode";
import { type JaxControllers, NOTEBOOK_TYPE } from "./controller.js";
import { emptyNotebook } from "../../kernel/server/notebook.js";
import { JaxnbSerializer, notebookToData } from "./serializer.js";

const activeJaxNotebook = (): vscode.NotebookDocument | undefined => {
  const nb = vscode.window.activeNotebookEditor?.notebook;
  return nb?.notebookType === NOTEBOOK_TYPE ? nb : undefined;
};

export function registerCommands(context: vscode.ExtensionContext, controllers: JaxControllers): vscode.Disposable {
  return vscode.Disposable.from(
    vscode.commands.registerCommand("jaxnb.newNotebook", async () => {
      const data = notebookToData(emptyNotebook());
      data.cells.push(new vscode.NotebookCellData(vscode.NotebookCellKind.Code, "import jax\nimport jax.numpy as jnp\n", "python"));
      const doc = await vscode.workspace.openNotebookDocument(NOTEBOOK_TYPE, data);
      return vscode.window.showNotebookDocument(doc);
    }),
    vscode.commands.registerCommand("jaxnb.openExample", async () => {
      // A copy, so running it never changes the file shipped with the extension.
      const src = vscode.Uri.joinPath(context.extensionUri, "examples", "jax-intro.jaxnb");
      const bytes = await vscode.workspace.fs.readFile(src);
      const data = new JaxnbSerializer().deserializeNotebook(bytes);
      const doc = await vscode.workspace.openNotebookDocument(NOTEBOOK_TYPE, data);
      return vscode.window.showNotebookDocument(doc);
    }),
    vscode.commands.registerCommand("jaxnb.restartKernel", async () => {
      const nb = activeJaxNotebook();
      if (!nb) return vscode.window.showErrorMessage("Open a JAX notebook to restart its kernel.");
      await controllers.restart(nb);
    }),
    vscode.commands.registerCommand("jaxnb.selectCpuDevices", async (n?: number) => {
      const cfg = vscode.workspace.getConfiguration("jaxnb");
      const value = n ?? Number(await vscode.window.showQuickPick(["1", "2", "4", "8"], { title: "Number of CPU devices (takes effect when the kernel restarts)" }));
      if (!Number.isInteger(value) || value < 1) return;
      await cfg.update("cpuDevices", value, vscode.ConfigurationTarget.Global);
      const nb = activeJaxNotebook();
      if (nb && controllers.sessionOf(nb)) {
        const choice = await vscode.window.showInformationMessage(`JAX will use ${value} CPU device${value === 1 ? "" : "s"}. Restart the kernel now?`, "Restart Kernel");
        if (choice) await controllers.restart(nb);
      }
    }),
    vscode.commands.registerCommand("jaxnb.exportIpynb", async () => {
      const nb = activeJaxNotebook();
      if (!nb) return vscode.window.showErrorMessage("Open a JAX notebook to export it.");
      const target = await vscode.window.showSaveDialog({
        defaultUri: nb.uri.with({ path: nb.uri.path.replace(/\.jaxnb$/, ".ipynb") }),
        filters: { "Jupyter notebook": ["ipynb"] },
      });
      if (!target) return;
      const data = new vscode.NotebookData(nb.getCells().map((c) => {
        const d = new vscode.NotebookCellData(c.kind, c.document.getText(), c.document.languageId);
        d.outputs = [...c.outputs];
        d.metadata = c.metadata;
        d.executionSummary = c.executionSummary;
        return d;
      }));
      data.metadata = nb.metadata;
      const bytes = new JaxnbSerializer().serializeNotebook(data);
      await vscode.workspace.fs.writeFile(target, bytes);
      void vscode.window.showInformationMessage(`Exported ${target.fsPath}`);
    }),
  );
}

