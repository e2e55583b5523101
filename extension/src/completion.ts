/** @file Completion of names and attributes in cells, from the running kernel's namespace. */

import * as vscode from "vscode";
import type { JaxControllers } from "./controller.js";

export function registerCompletion(controllers: JaxControllers): vscode.Disposable {
  return vscode.languages.registerCompletionItemProvider(
    { scheme: "vscode-notebook-cell", language: "python" },
    {
      async provideCompletionItems(doc, position) {
        const nb = vscode.workspace.notebookDocuments.find((n) => n.getCells().some((c) => c.document === doc));
        const s = nb && controllers.sessionOf(nb);
        if (!s || s.isDead) return [];
        const code = doc.getText();
        const reply = await s.client.request("complete", { code, cursorPos: doc.offsetAt(position) });
        const range = new vscode.Range(doc.positionAt(reply.cursorStart), doc.positionAt(reply.cursorEnd));
        return reply.matches.map((m) => {
          const item = new vscode.CompletionItem(m, vscode.CompletionItemKind.Variable);
          item.range = range;
          return item;
        });
      },
    },
    ".",
  );
}
