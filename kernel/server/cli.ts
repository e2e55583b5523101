/**
 * @file `jaxnb run`: executes a notebook or a Python script headlessly in a kernel process, like
 * `jupyter nbconvert --execute`, printing each cell's text output; optionally writes the
 * executed notebook and a self-contained HTML report.
 *
 * Exit status: 0 when every cell ran; 1 when a cell raised (its traceback, pointing at the file
 * or cell line, is printed to stderr; later cells do not run) or the kernel died; 2 on bad
 * arguments or an unreadable or invalid notebook (nothing is run or written).
 */

import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { KernelClient } from "./client.js";
import { MIME } from "./protocol.js";
import {
  type Notebook, type Output, type SourceCell, JAXNB_KERNELSPEC, NotebookFormatError, appendOutput, parseNotebook, parseScript,
  serializeNotebook, sourceText,
} from "./notebook.js";
import { notebookToHtml } from "./html.js";

const HELP = `Usage: jaxnb run FILE [--platform cpu|webgpu] [--out EXECUTED.jaxnb] [--html REPORT.html]
       jaxnb convert SCRIPT.py NOTEBOOK.jaxnb

Runs FILE headlessly in a jaxnb kernel (Pyodide + the TypeScript JAX runtime), cell by cell,
printing each cell's text output (rich outputs as their text/plain form).

FILE          a notebook (.jaxnb or .ipynb, nbformat 4) or a Python script (.py; "# %%" lines
              split it into cells, as in the percent format; otherwise it is one cell)
--platform P  the kernel's default backend: cpu or webgpu. Without it, JAX_PLATFORMS decides
              if set, else the kernel a notebook was saved with ("JAX (CPU)" or "JAX (WebGPU)"
              in its kernelspec, as VS Code restores it), else WebGPU when an adapter exists
--out PATH    write the executed notebook (nbformat 4 JSON, outputs saved) to PATH
--html PATH   write a self-contained HTML report (plots, sharding grids, benchmarks) to PATH
-h, --help    show this help

convert writes a Python script (percent format) as a notebook without running it.

The kernel starts in FILE's directory; JAX_PLATFORMS, JAX_ENABLE_X64 and XLA_FLAGS are passed on.

Exit status: 0 all cells ran; 1 a cell raised an error (traceback on stderr) or the kernel died;
2 bad arguments or an unreadable or invalid notebook (nothing is written).
`;

class UsageError extends Error {}

interface Args {
  command: "run" | "convert";
  file: string;
  out?: string;
  html?: string;
  platform?: Platform;
}

type Platform = "cpu" | "webgpu";
/** The kernelspec display names the extension saves (extension/src/controller.ts), by backend. */
const KERNEL_NAMES: Record<Platform, string> = { cpu: "JAX (CPU)", webgpu: "JAX (WebGPU)" };

function parseArgs(argv: string[]): Args | "help" {
  if (argv.length === 0 || argv.includes("-h") || argv.includes("--help")) return "help";
  const [command, ...rest] = argv;
  if (command === "convert") {
    if (rest.length !== 2 || rest.some((a) => a.startsWith("-"))) throw new UsageError("convert needs SCRIPT.py and NOTEBOOK.jaxnb");
    if (!rest[0].endsWith(".py")) throw new UsageError(`${rest[0]}: convert takes a .py script`);
    return { command, file: rest[0], out: rest[1] };
  }
  if (command !== "run") throw new UsageError(`unknown command ${JSON.stringify(command)} (expected "run" or "convert")`);
  const args: Partial<Args> = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    const value = (): string => {
      const v = rest[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a path`);
      return v;
    };
    if (a === "--platform") {
      const p = rest[++i];
      if (p !== "cpu" && p !== "webgpu") throw new UsageError(`--platform takes cpu or webgpu${p === undefined ? "" : `, not ${JSON.stringify(p)}`}`);
      args.platform = p;
    } else if (a === "--out") args.out = value();
    else if (a === "--html") args.html = value();
    else if (a.startsWith("-")) throw new UsageError(`unknown option ${a}`);
    else if (args.file === undefined) args.file = a;
    else throw new UsageError(`unexpected argument ${JSON.stringify(a)} (one FILE at a time)`);
  }
  if (args.file === undefined) throw new UsageError("run needs a FILE");
  args.command = "run";
  for (const out of [args.out, args.html]) {
    if (out !== undefined && !existsSync(path.dirname(path.resolve(out)))) throw new UsageError(`the directory of ${out} does not exist`);
  }
  return args as Args;
}

/** The notebook to run and its code cells, or a UsageError/NotebookFormatError. */
function load(file: string): { nb: Notebook; cells: SourceCell[]; isScript: boolean } {
  if (!existsSync(file)) throw new UsageError(`${file}: no such file`);
  if (statSync(file).isDirectory()) throw new UsageError(`${file} is a directory`);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${file}: ${(e as Error).message}`);
  }
  const ext = path.extname(file).toLowerCase();
  if (ext === ".py") {
    const { sourceCells, ...nb } = parseScript(text);
    return { nb, cells: sourceCells, isScript: true };
  }
  if (ext !== ".jaxnb" && ext !== ".ipynb") throw new UsageError(`${file}: expected a .py, .jaxnb or .ipynb file`);
  const nb = parseNotebook(text, file);
  return { nb, cells: nb.cells.filter((c) => c.cell_type === "code").map((cell) => ({ cell })), isScript: false };
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** The backend asked for: --platform, else JAX_PLATFORMS, else the notebook's kernelspec; undefined: the default. */
function choosePlatform(args: Args, nb: Notebook): Platform | undefined {
  if (args.platform) return args.platform;
  if (process.env.JAX_PLATFORMS) return undefined;
  const saved = (nb.metadata.kernelspec as { display_name?: unknown } | undefined)?.display_name;
  return (Object.keys(KERNEL_NAMES) as Platform[]).find((p) => KERNEL_NAMES[p] === saved);
}

async function run(args: Args): Promise<number> {
  const { nb, cells, isScript } = load(args.file);
  const platform = isScript ? args.platform : choosePlatform(args, nb);
  const env = platform ? { ...process.env, JAX_PLATFORMS: platform === "cpu" ? "cpu" : "webgpu,cpu" } : process.env;
  const kernel = KernelClient.start({ kernelMain: path.join(here, "kernel/main.js"), cwd: path.dirname(path.resolve(args.file)), env });
  let interrupts = 0;
  const onSigint = (): void => {
    // First Ctrl-C interrupts the running cell; the second ends the kernel.
    if (interrupts++ === 0) void kernel.interrupt().catch(() => undefined);
    else kernel.kill();
  };
  process.on("SIGINT", onSigint);
  let status = 0;
  // The backend the kernel runs (saved in --out's kernelspec, so VS Code reopens it with the same kernel).
  let used: Platform | undefined;
  try {
    await kernel.ready;
    used = (await kernel.request("devices", {})).find((d) => d.isDefault)?.platform;
    for (const [i, { cell, firstLine }] of cells.entries()) {
      const outputs: Output[] = [];
      const code = sourceText(cell.source);
      const show = (data: Record<string, unknown>): void => {
        const t = data[MIME.text];
        if (t !== undefined) process.stdout.write(`${sourceText(t as string | string[])}\n`);
      };
      const reply = await kernel.execute(
        { cellId: String(cell.id ?? `cell-${i + 1}`), code, ...(isScript ? { filename: args.file, firstLine } : {}) },
        {
          stream: (p) => {
            (p.name === "stderr" ? process.stderr : process.stdout).write(p.text);
            appendOutput(outputs, { output_type: "stream", name: p.name, text: p.text });
          },
          display_data: (p) => {
            show(p.data);
            appendOutput(outputs, { output_type: "display_data", data: p.data, metadata: p.metadata, ...(p.displayId ? { transient: { display_id: p.displayId } } : {}) });
          },
          update_display_data: (p) => {
            for (const o of outputs) if (o.output_type === "display_data" && o.transient?.display_id === p.displayId) o.data = p.data;
          },
          execute_result: (p) => {
            show(p.data);
            appendOutput(outputs, { output_type: "execute_result", execution_count: p.executionCount, data: p.data, metadata: p.metadata });
          },
          error: (p) => {
            process.stderr.write(`${p.traceback.join("\n")}\n`);
            appendOutput(outputs, { output_type: "error", ename: p.ename, evalue: p.evalue, traceback: p.traceback });
          },
        },
      );
      // Display ids are for live updates only; saved notebooks do not keep them.
      cell.outputs = outputs.map((o) => (o.output_type === "display_data" ? { output_type: o.output_type, data: o.data, metadata: o.metadata } : o));
      cell.execution_count = reply.executionCount;
      if (reply.status !== "ok") {
        status = 1;
        break;
      }
    }
  } catch (e) {
    process.stderr.write(`jaxnb: ${(e as Error).message}\n`);
    status = 1;
  } finally {
    process.off("SIGINT", onSigint);
    await kernel.shutdown();
  }
  if (args.out) {
    const lower = args.out.toLowerCase();
    if (lower.endsWith(".jaxnb") || isScript) {
      nb.metadata.kernelspec = { ...JAXNB_KERNELSPEC, display_name: KERNEL_NAMES[used ?? platform ?? "cpu"] };
    }
    writeFileSync(args.out, serializeNotebook(nb));
  }
  if (args.html) {
    const vegaEmbed = readFileSync(path.join(here, "report/vega-embed.js"), "utf8");
    writeFileSync(args.html, notebookToHtml(nb, path.basename(args.file), vegaEmbed));
  }
  return status;
}

async function main(argv: string[]): Promise<number> {
  let args: Args | "help";
  try {
    args = parseArgs(argv);
    if (args === "help") {
      process.stdout.write(HELP);
      return 0;
    }
    if (args.command === "convert") {
      const { nb } = load(args.file);
      writeFileSync(args.out!, serializeNotebook(nb));
      return 0;
    }
    return await run(args);
  } catch (e) {
    if (e instanceof UsageError || e instanceof NotebookFormatError) {
      process.stderr.write(`jaxnb: ${e.message}\n${e instanceof UsageError ? "Try 'jaxnb --help'.\n" : ""}`);
      return 2;
    }
    throw e;
  }
}

// Output piped into a program that stopped reading (`| head`): stop quietly; the kernel exits
// when its stdin closes.
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
  throw e;
});

process.exitCode = await main(process.argv.slice(2));
