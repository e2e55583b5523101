/**
 * @file `.jaxnb` files (nbformat 4 JSON) ↔ VS Code notebooks. Everything we do not edit —
 * notebook and cell metadata, cell ids, attachments, the exact form of each output — is kept, so
 * a notebook round-trips with `.ipynb` without loss. A file that is not a notebook fails to open
 * with a message that says why, and is never overwritten.
 */

import * as vscode from "vscode";
import {
  type Cell, type MultilineString, type Notebook, type Output, parseNotebook, serializeNotebook, sourceText, splitLines,
} from "../../kernel/server/notebook.js";

const STDOUT = "application/vnd.code.notebook.stdout";
const STDERR = "application/vnd.code.notebook.stderr";
const ERROR = "application/vnd.code.notebook.error";
/** Where each cell output keeps its original nbformat form (for a lossless round trip). */
const ORIGINAL = "jaxnb.nbformat";

const enc = new TextEncoder();
const dec = new TextDecoder();

const isJsonMime = (mime: string): boolean => mime === "application/json" || mime.endsWith("+json");

/** An nbformat output as VS Code output items. */
export function toCellOutput(o: Output): vscode.NotebookCellOutput {
  const meta = { [ORIGINAL]: o };
  switch (o.output_type) {
    case "stream":
      return new vscode.NotebookCellOutput([
        o.name === "stderr" ? vscode.NotebookCellOutputItem.stderr(sourceText(o.text)) : vscode.NotebookCellOutputItem.stdout(sourceText(o.text)),
      ], meta);
    case "error":
      return new vscode.NotebookCellOutput([
        vscode.NotebookCellOutputItem.error({ name: o.ename, message: o.evalue, stack: o.traceback.join("\n") }),
      ], meta);
    default: {
      // The richest MIME type first: VS Code shows the first item it has a renderer for.
      const mimes = Object.keys(o.data).sort((a, b) => mimeRank(a) - mimeRank(b));
      const items = mimes.map((mime) => {
        const v = o.data[mime];
        if (isJsonMime(mime)) return vscode.NotebookCellOutputItem.json(v, mime);
        if (mime.startsWith("image/") && mime !== "image/svg+xml") return new vscode.NotebookCellOutputItem(Buffer.from(sourceText(v as MultilineString), "base64"), mime);
        return vscode.NotebookCellOutputItem.text(sourceText(v as MultilineString), mime);
      });
      return new vscode.NotebookCellOutput(items, meta);
    }
  }
}

function mimeRank(mime: string): number {
  if (mime.startsWith("application/vnd.jaxnb.") || mime.startsWith("application/vnd.vegalite")) return 0;
  if (mime === "text/html" || mime === "image/svg+xml" || mime === "image/png") return 1;
  if (mime === "text/plain") return 3;
  return 2;
}

/** VS Code output items back to nbformat (the original form when the output was loaded). */
export function fromCellOutput(out: vscode.NotebookCellOutput): Output {
  const original = out.metadata?.[ORIGINAL] as Output | undefined;
  if (original) return original;
  const items = out.items;
  // Streams appended chunk by chunk are one output of several items of one stream MIME type.
  if (items.length > 0 && items.every((i) => i.mime === items[0].mime) && (items[0].mime === STDOUT || items[0].mime === STDERR)) {
    return { output_type: "stream", name: items[0].mime === STDOUT ? "stdout" : "stderr", text: splitLines(items.map((i) => dec.decode(i.data)).join("")) };
  }
  if (items.length === 1 && items[0].mime === ERROR) {
    const e = JSON.parse(dec.decode(items[0].data)) as { name: string; message: string; stack?: string };
    return { output_type: "error", ename: e.name, evalue: e.message, traceback: (e.stack ?? "").split("\n") };
  }
  const data: Record<string, unknown> = {};
  for (const it of items) {
    const text = dec.decode(it.data);
    if (isJsonMime(it.mime)) data[it.mime] = JSON.parse(text);
    else if (it.mime.startsWith("image/") && it.mime !== "image/svg+xml") data[it.mime] = Buffer.from(it.data).toString("base64");
    else data[it.mime] = splitLines(text);
  }
  const executionCount = out.metadata?.executionCount as number | undefined;
  if (executionCount !== undefined) return { output_type: "execute_result", execution_count: executionCount, data, metadata: {} };
  return { output_type: "display_data", data, metadata: {} };
}

function toCellData(c: Cell): vscode.NotebookCellData {
  const kind = c.cell_type === "markdown" ? vscode.NotebookCellKind.Markup : vscode.NotebookCellKind.Code;
  const lang = c.cell_type === "markdown" ? "markdown" : c.cell_type === "raw" ? "raw" : "python";
  const data = new vscode.NotebookCellData(kind, sourceText(c.source), lang);
  // The whole nbformat cell minus what VS Code holds itself, so nothing is lost on save.
  const { source: _s, outputs, execution_count, ...rest } = c;
  data.metadata = { [ORIGINAL]: rest };
  if (c.cell_type === "code") {
    data.outputs = (outputs ?? []).map(toCellOutput);
    if (typeof execution_count === "number") data.executionSummary = { executionOrder: execution_count };
  }
  return data;
}

function fromCellData(d: vscode.NotebookCellData): Cell {
  const kept = (d.metadata?.[ORIGINAL] ?? {}) as Partial<Cell>;
  const type: Cell["cell_type"] = d.kind === vscode.NotebookCellKind.Markup ? "markdown" : d.languageId === "raw" ? "raw" : "code";
  const cell: Cell = { ...kept, cell_type: type, metadata: kept.metadata ?? {}, source: splitLines(d.value) };
  if (type === "code") {
    cell.execution_count = d.executionSummary?.executionOrder ?? null;
    cell.outputs = (d.outputs ?? []).map(fromCellOutput);
  } else {
    delete cell.outputs;
    delete cell.execution_count;
  }
  return cell;
}

export function notebookToData(nb: Notebook): vscode.NotebookData {
  const data = new vscode.NotebookData(nb.cells.map(toCellData));
  const { cells: _c, ...rest } = nb;
  data.metadata = rest;
  return data;
}

export function dataToNotebook(data: vscode.NotebookData): Notebook {
  const rest = (data.metadata ?? {}) as { metadata?: Record<string, unknown>; nbformat_minor?: number; [k: string]: unknown };
  const metadata: Record<string, unknown> = rest.metadata ?? {};
  return { ...rest, nbformat: 4, nbformat_minor: rest.nbformat_minor ?? 5, metadata, cells: data.cells.map(fromCellData) };
}

export class JaxnbSerializer implements vscode.NotebookSerializer {
  deserializeNotebook(content: Uint8Array): vscode.NotebookData {
    // parseNotebook raises NotebookFormatError with the reason; VS Code shows it and opens nothing.
    return notebookToData(parseNotebook(dec.decode(content), "This file"));
  }
  serializeNotebook(data: vscode.NotebookData): Uint8Array {
    return enc.encode(serializeNotebook(dataToNotebook(data)));
  }
}
