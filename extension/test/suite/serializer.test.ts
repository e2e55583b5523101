/** @file The .jaxnb serializer in the real editor: lossless round trips, broken files, empty files. */

import * as assert from "node:assert/strict";
import * as vscode from "vscode";
import { api, workspaceUri } from "./util.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

describe("serializer", () => {
  before(api);

  it("round-trips the example notebook and a Jupyter notebook without loss", async () => {
    const ipynb = {
      nbformat: 4, nbformat_minor: 5,
      metadata: { kernelspec: { name: "python3", display_name: "Python 3", language: "python" }, custom: { keep: [1, 2] } },
      cells: [
        { cell_type: "markdown", id: "m1", metadata: { tags: ["intro"] }, source: ["# Title\n", "text"] },
        { cell_type: "code", id: "c1", metadata: { collapsed: false, extra: "x" }, execution_count: 3, source: ["x = 1\n", "x"],
          outputs: [
            { output_type: "stream", name: "stdout", text: ["hello\n"] },
            { output_type: "execute_result", execution_count: 3, data: { "text/plain": ["1"] }, metadata: {} },
            { output_type: "display_data", data: { "application/vnd.vegalite.v5+json": { mark: "point" }, "text/plain": ["<Figure>"] }, metadata: { a: 1 } },
          ] },
        { cell_type: "raw", id: "r1", metadata: {}, source: ["raw text"] },
      ],
    };
    for (const [name, text] of [["copy.ipynb", JSON.stringify(ipynb, null, 1)], ["example.jaxnb", null]] as const) {
      const uri = vscode.Uri.joinPath(workspaceUri(), "roundtrip", name.replace(".ipynb", ".jaxnb"));
      const original = text ?? dec.decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(workspaceUri(), "examples", "jax-intro.jaxnb")));
      await vscode.workspace.fs.writeFile(uri, enc.encode(original));
      const doc = await vscode.workspace.openNotebookDocument(uri);
      // Saving after an edit that is undone rewrites the file from the editor's model.
      const edit = new vscode.WorkspaceEdit();
      edit.set(uri, [vscode.NotebookEdit.updateNotebookMetadata({ ...doc.metadata })]);
      await vscode.workspace.applyEdit(edit);
      await doc.save();
      const saved = JSON.parse(dec.decode(await vscode.workspace.fs.readFile(uri)));
      assert.deepEqual(saved, JSON.parse(original), `${name} changed on save`);
    }
  });

  it("refuses a file that is not JSON or not nbformat, and never overwrites it", async () => {
    for (const [name, content, reason] of [
      ["bad-json.jaxnb", "{ not json", /not valid JSON/],
      ["not-nb.jaxnb", JSON.stringify({ hello: 1 }), /not an nbformat 4 notebook/],
      ["bad-cells.jaxnb", JSON.stringify({ nbformat: 4, cells: {} }), /"cells" must be a list/],
    ] as const) {
      const uri = vscode.Uri.joinPath(workspaceUri(), "broken", name);
      await vscode.workspace.fs.writeFile(uri, enc.encode(content));
      await assert.rejects(Promise.resolve(vscode.workspace.openNotebookDocument(uri)), (e: Error) => reason.test(e.message), name);
      assert.equal(dec.decode(await vscode.workspace.fs.readFile(uri)), content, `${name} was modified`);
    }
  });

  it("opens an empty file as an empty notebook", async () => {
    const uri = vscode.Uri.joinPath(workspaceUri(), "empty.jaxnb");
    await vscode.workspace.fs.writeFile(uri, new Uint8Array());
    const doc = await vscode.workspace.openNotebookDocument(uri);
    assert.equal(doc.cellCount, 0);
  });
});
