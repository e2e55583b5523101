/**
 * @file Notebook files: nbformat 4 JSON (`.jaxnb` and `.ipynb` share the schema; a `.jaxnb` has
 * kernelspec `jaxnb`), read with validation and written back without losing anything we do not
 * touch; and Python scripts in the "percent" format (`# %%` starts a code cell, `# %% [markdown]`
 * a markdown cell of `# ` comment lines), each cell remembering the line it starts at.
 */

import type { MimeBundle } from "./protocol.js";

export type MultilineString = string | string[];

export type Output =
  | { output_type: "stream"; name: "stdout" | "stderr"; text: MultilineString }
  | { output_type: "display_data"; data: MimeBundle; metadata: Record<string, unknown>; transient?: { display_id?: string } }
  | { output_type: "execute_result"; execution_count: number | null; data: MimeBundle; metadata: Record<string, unknown> }
  | { output_type: "error"; ename: string; evalue: string; traceback: string[] };

export interface Cell {
  cell_type: "code" | "markdown" | "raw";
  source: MultilineString;
  metadata: Record<string, unknown>;
  id?: string;
  outputs?: Output[];
  execution_count?: number | null;
  attachments?: unknown;
  [other: string]: unknown;
}

export interface Notebook {
  nbformat: 4;
  nbformat_minor: number;
  metadata: Record<string, unknown>;
  cells: Cell[];
  [other: string]: unknown;
}

/** A cell to run, with where its source starts in the file (for tracebacks). */
export interface SourceCell {
  cell: Cell;
  /** 1-based line of the file where the cell's source starts (scripts); undefined for notebooks. */
  firstLine?: number;
}

export class NotebookFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotebookFormatError";
  }
}

export const JAXNB_KERNELSPEC = { name: "jaxnb", display_name: "JAX (CPU)", language: "python" };
export const LANGUAGE_INFO = { name: "python", file_extension: ".py", mimetype: "text/x-python" };

export const sourceText = (s: MultilineString): string => (Array.isArray(s) ? s.join("") : s);

/** Jupyter's on-disk form of text: a list of lines, each keeping its newline. */
export function splitLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.length === 1 && lines[0] === "" ? [] : lines;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);
const isMultiline = (x: unknown): boolean => typeof x === "string" || (Array.isArray(x) && x.every((l) => typeof l === "string"));

/** Parses and validates nbformat 4 JSON; the error says what is wrong and where. */
export function parseNotebook(text: string, name = "notebook"): Notebook {
  if (text.trim() === "") return emptyNotebook();
  let nb: unknown;
  try {
    nb = JSON.parse(text);
  } catch (e) {
    throw new NotebookFormatError(`${name} is not valid JSON (${(e as Error).message})`);
  }
  if (!isObject(nb)) throw new NotebookFormatError(`${name} is not a notebook: the top level must be a JSON object`);
  if (nb.nbformat !== 4) throw new NotebookFormatError(`${name} is not an nbformat 4 notebook (nbformat is ${JSON.stringify(nb.nbformat)})`);
  if (!Array.isArray(nb.cells)) throw new NotebookFormatError(`${name}: "cells" must be a list`);
  if (nb.metadata !== undefined && !isObject(nb.metadata)) throw new NotebookFormatError(`${name}: "metadata" must be an object`);
  nb.cells.forEach((c: unknown, i: number) => {
    const where = `${name}: cell ${i + 1}`;
    if (!isObject(c)) throw new NotebookFormatError(`${where} is not an object`);
    if (c.cell_type !== "code" && c.cell_type !== "markdown" && c.cell_type !== "raw") {
      throw new NotebookFormatError(`${where} has an unknown cell_type ${JSON.stringify(c.cell_type)}`);
    }
    if (!isMultiline(c.source)) throw new NotebookFormatError(`${where}: "source" must be a string or a list of strings`);
    if (c.cell_type === "code" && c.outputs !== undefined && !Array.isArray(c.outputs)) throw new NotebookFormatError(`${where}: "outputs" must be a list`);
  });
  const out = nb as unknown as Notebook;
  out.metadata ??= {};
  out.nbformat_minor ??= 5;
  for (const c of out.cells) {
    c.metadata ??= {};
    if (c.cell_type === "code") {
      c.outputs ??= [];
      c.execution_count ??= null;
    }
  }
  return out;
}

/** nbformat's own layout: one-space indent, keys as given, a final newline. */
export function serializeNotebook(nb: Notebook): string {
  return `${JSON.stringify(nb, null, 1)}\n`;
}

export function emptyNotebook(): Notebook {
  return { nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { ...JAXNB_KERNELSPEC }, language_info: { ...LANGUAGE_INFO } }, cells: [] };
}

export function codeCell(source: string, id: string, firstLine?: number): SourceCell {
  return { cell: { cell_type: "code", id, metadata: {}, source: splitLines(source), outputs: [], execution_count: null }, firstLine };
}

const CELL_MARKER = /^# %%(.*)$/;

/**
 * A Python script as cells. Without `# %%` markers the whole file is one code cell; with them,
 * each marker starts a cell (text before the first marker is a cell too, if not blank).
 */
export function parseScript(text: string): Notebook & { sourceCells: SourceCell[] } {
  const lines = text.split("\n");
  const nb = emptyNotebook();
  const sourceCells: SourceCell[] = [];
  let kind: "code" | "markdown" = "code";
  let start = 0;
  const flush = (end: number): void => {
    const body = lines.slice(start, end);
    while (body.length && body[body.length - 1].trim() === "") body.pop();
    if (body.length === 0 || body.every((l) => l.trim() === "")) return;
    if (kind === "markdown") {
      const md = body.map((l) => l.replace(/^# ?/, "")).join("\n");
      nb.cells.push({ cell_type: "markdown", id: `cell-${nb.cells.length + 1}`, metadata: {}, source: splitLines(md) });
    } else {
      const sc = codeCell(body.join("\n"), `cell-${nb.cells.length + 1}`, start + 1);
      nb.cells.push(sc.cell);
      sourceCells.push(sc);
    }
  };
  lines.forEach((line, i) => {
    const m = CELL_MARKER.exec(line);
    if (!m) return;
    flush(i);
    kind = /\[markdown\]|\[md\]/.test(m[1]) ? "markdown" : "code";
    start = i + 1;
  });
  flush(lines.length);
  return Object.assign(nb, { sourceCells });
}

/** Appends an output as Jupyter keeps them: consecutive stream text of one name merged. */
export function appendOutput(outputs: Output[], o: Output): void {
  const last = outputs[outputs.length - 1];
  if (o.output_type === "stream" && last?.output_type === "stream" && last.name === o.name) {
    last.text = splitLines(sourceText(last.text) + sourceText(o.text));
    return;
  }
  outputs.push(o.output_type === "stream" ? { ...o, text: splitLines(sourceText(o.text)) } : o);
}
