/** @file The extension's entry: `activate` only registers the pieces, each in its own file. */

import * as vscode from "vscode";
import { JaxControllers, NOTEBOOK_TYPE } from "./controller.js";
import { JaxnbSerializer } from "./serializer.js";
import { registerStatus } from "./status.js";
import { registerHover } from "./hover.js";
import { registerCompletion } from "./completion.js";
import { registerBenchmark } from "./benchmark.js";
import { registerCommands } from "./commands.js";

let controllers: JaxControllers | undefined;

/** What tests reach through `extension.exports`. */
export interface JaxnbApi {
  controllers: JaxControllers;
}

export function activate(context: vscode.ExtensionContext): JaxnbApi {
  controllers = new JaxControllers(context);
  context.subscriptions.push(
    vscode.workspace.registerNotebookSerializer(NOTEBOOK_TYPE, new JaxnbSerializer(), { transientOutputs: false }),
    { dispose: () => void controllers?.dispose() },
    registerStatus(controllers),
    registerHover(controllers),
    registerCompletion(controllers),
    registerBenchmark(context, controllers),
    registerCommands(context, controllers),
  );
  void openOnStartup();
  return { controllers };
}

/** The `jaxnb.openOnStartup` notebook, if set (the demo opens the post's notebook this way). */
async function openOnStartup(): Promise<void> {
  const file = vscode.workspace.getConfiguration("jaxnb").get<string>("openOnStartup", "");
  if (!file) return;
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const uri = file.startsWith("/") || !folder ? vscode.Uri.file(file) : vscode.Uri.joinPath(folder, file);
  try {
    await vscode.window.showNotebookDocument(await vscode.workspace.openNotebookDocument(uri));
  } catch (e) {
    void vscode.window.showErrorMessage(`Could not open ${file}: ${(e as Error).message}`);
  }
}

export async function deactivate(): Promise<void> {
  await controllers?.dispose();
}
