/**
 * @file The two notebook controllers, "JAX (WebGPU)" and "JAX (CPU)": run cells in the
 * notebook's kernel (started on first use), stream outputs into cells as they come, keep
 * execution order and timing, interrupt and restart, report a dead kernel with a Restart
 * action, remember the choice in the notebook's kernelspec, and shut kernels down with their
 * notebooks.
 */

import * as vscode from "vscode";
import type { KernelDiedError } from "../../kernel/server/client.js";
import type { Output } from "../../kernel/server/notebook.js";
import { type BackendChoice, KernelSession } from "./kernelSession.js";
import { toCellOutput } from "./serializer.js";

export const NOTEBOOK_TYPE = "jaxnb";
const LABELS: Record<BackendChoice, string> = { webgpu: "JAX (WebGPU)", cpu: "JAX (CPU)" };

export class JaxControllers implements vscode.Disposable {
  readonly controllers: Record<BackendChoice, vscode.NotebookController>;
  private readonly sessions = new Map<string, KernelSession>();
  private readonly selected = new Map<string, BackendChoice>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly onDidChangeSessionEmitter = new vscode.EventEmitter<vscode.NotebookDocument>();
  /** Fires when a notebook's kernel starts, dies or restarts (the status bar listens). */
  readonly onDidChangeSession = this.onDidChangeSessionEmitter.event;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.controllers = { webgpu: this.create("webgpu"), cpu: this.create("cpu") };
    this.disposables.push(
      vscode.window.onDidChangeVisibleNotebookEditors((eds) => eds.forEach((e) => void this.selectSaved(e))),
      vscode.workspace.onDidOpenNotebookDocument((nb) => this.setAffinity(nb)),
      vscode.workspace.onDidCloseNotebookDocument((nb) => void this.shutdown(nb)),
    );
    vscode.workspace.notebookDocuments.forEach((nb) => this.setAffinity(nb));
  }

  private create(backend: BackendChoice): vscode.NotebookController {
    const c = vscode.notebooks.createNotebookController(`jaxnb-${backend}`, NOTEBOOK_TYPE, LABELS[backend]);
    c.supportedLanguages = ["python"];
    c.supportsExecutionOrder = true;
    c.description = backend === "webgpu" ? "Runs on the GPU through WebGPU (Dawn)" : "Runs on the CPU devices";
    c.executeHandler = (cells, nb) => this.executeCells(backend, cells, nb);
    c.interruptHandler = (nb) => this.interrupt(nb);
    c.onDidChangeSelectedNotebooks(({ notebook, selected }) => {
      if (selected) void this.select(notebook, backend);
    });
    this.disposables.push(c);
    return c;
  }

  /** The kernelspec the notebook was saved with picks the preferred controller. */
  private setAffinity(nb: vscode.NotebookDocument): void {
    if (nb.notebookType !== NOTEBOOK_TYPE) return;
    const display = ((nb.metadata?.metadata as Record<string, unknown> | undefined)?.kernelspec as { display_name?: string } | undefined)?.display_name;
    const preferred: BackendChoice = display === LABELS.cpu ? "cpu" : display === LABELS.webgpu ? "webgpu" : this.defaultBackend();
    this.controllers[preferred].updateNotebookAffinity(nb, vscode.NotebookControllerAffinity.Preferred);
  }

  /**
   * A notebook saved with one of our kernels gets that kernel selected when it is shown, as
   * Jupyter selects a notebook's saved kernel (an affinity alone still asks the user to pick).
   */
  private async selectSaved(editor: vscode.NotebookEditor): Promise<void> {
    const nb = editor.notebook;
    if (nb.notebookType !== NOTEBOOK_TYPE || this.selected.has(nb.uri.toString())) return;
    const display = ((nb.metadata?.metadata as Record<string, unknown> | undefined)?.kernelspec as { display_name?: string } | undefined)?.display_name;
    const backend = (Object.keys(LABELS) as BackendChoice[]).find((b) => LABELS[b] === display);
    if (!backend) return;
    this.selected.set(nb.uri.toString(), backend);
    await vscode.commands.executeCommand("notebook.selectKernel", { notebookEditor: editor, id: `jaxnb-${backend}`, extension: "jaxnb.jaxnb" });
  }

  private defaultBackend(): BackendChoice {
    const setting = vscode.workspace.getConfiguration("jaxnb").get<string>("backend", "auto");
    return setting === "cpu" ? "cpu" : "webgpu";
  }

  /** Remembers the choice in the notebook's kernelspec (saved with the file). */
  private async select(nb: vscode.NotebookDocument, backend: BackendChoice): Promise<void> {
    const prev = this.selected.get(nb.uri.toString());
    this.selected.set(nb.uri.toString(), backend);
    if (prev && prev !== backend) await this.shutdown(nb);
    const meta = { ...(nb.metadata ?? {}) } as Record<string, unknown>;
    const inner = { ...((meta.metadata as Record<string, unknown>) ?? {}) };
    const ks = inner.kernelspec as { display_name?: string } | undefined;
    if (ks?.display_name === LABELS[backend]) return;
    inner.kernelspec = { name: "jaxnb", display_name: LABELS[backend], language: "python" };
    meta.metadata = inner;
    const edit = new vscode.WorkspaceEdit();
    edit.set(nb.uri, [vscode.NotebookEdit.updateNotebookMetadata(meta)]);
    await vscode.workspace.applyEdit(edit);
  }

  backendOf(nb: vscode.NotebookDocument): BackendChoice {
    return this.selected.get(nb.uri.toString()) ?? this.defaultBackend();
  }

  sessionOf(nb: vscode.NotebookDocument): KernelSession | undefined {
    return this.sessions.get(nb.uri.toString());
  }

  /** The notebook's running kernel, started (with a progress notification) if needed. */
  async ensureSession(nb: vscode.NotebookDocument, backend = this.backendOf(nb)): Promise<KernelSession> {
    const key = nb.uri.toString();
    let s = this.sessions.get(key);
    if (s && !s.isDead && s.backend === backend) return s;
    if (s) await this.shutdown(nb);
    const cpus = vscode.workspace.getConfiguration("jaxnb").get<number>("cpuDevices", 1);
    const cwd = nb.uri.scheme === "file" ? vscode.Uri.joinPath(nb.uri, "..").fsPath : undefined;
    s = new KernelSession(this.context.extensionPath, backend, cpus, cwd, (e) => this.onDied(nb, e));
    this.sessions.set(key, s);
    const started = s;
    await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Starting ${LABELS[backend]} kernel…` },
      () => started.ready,
    );
    this.onDidChangeSessionEmitter.fire(nb);
    return s;
  }

  private onDied(nb: vscode.NotebookDocument, e: KernelDiedError): void {
    this.onDidChangeSessionEmitter.fire(nb);
    void vscode.window.showErrorMessage(`The JAX kernel died. ${e.message}`, "Restart Kernel").then((choice) => {
      if (choice) void this.restart(nb);
    });
  }

  async restart(nb: vscode.NotebookDocument): Promise<void> {
    await this.shutdown(nb);
    await this.ensureSession(nb);
  }

  async shutdown(nb: vscode.NotebookDocument): Promise<void> {
    const key = nb.uri.toString();
    const s = this.sessions.get(key);
    if (!s) return;
    this.sessions.delete(key);
    await s.dispose();
    this.onDidChangeSessionEmitter.fire(nb);
  }

  private async interrupt(nb: vscode.NotebookDocument): Promise<void> {
    const s = this.sessions.get(nb.uri.toString());
    if (s && !s.isDead) await s.client.interrupt();
  }

  private async executeCells(backend: BackendChoice, cells: vscode.NotebookCell[], nb: vscode.NotebookDocument): Promise<void> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage("JAX notebooks run code only in trusted workspaces (as Jupyter does). Trust this workspace to run cells.");
      return;
    }
    this.selected.set(nb.uri.toString(), backend);
    let session: KernelSession;
    try {
      session = await this.ensureSession(nb, backend);
    } catch (e) {
      void vscode.window.showErrorMessage(`Could not start the JAX kernel: ${(e as Error).message}`);
      return;
    }
    for (const cell of cells) {
      if (cell.kind !== vscode.NotebookCellKind.Code) continue;
      const ok = await this.executeCell(this.controllers[backend], session, cell);
      if (!ok && session.isDead) break;
    }
    // The status bar shows the devices as they are now (the post sets four CPU devices in a cell).
    await session.refreshDevices().catch(() => undefined);
    this.onDidChangeSessionEmitter.fire(nb);
  }

  private async executeCell(controller: vscode.NotebookController, session: KernelSession, cell: vscode.NotebookCell): Promise<boolean> {
    const exec = controller.createNotebookCellExecution(cell);
    exec.start(Date.now());
    await exec.clearOutput();
    const token = exec.token.onCancellationRequested(() => void session.client.interrupt().catch(() => undefined));
    let last: { name: string; output: vscode.NotebookCellOutput } | undefined;
    const push = (o: Output): void => {
      last = undefined;
      void exec.appendOutput(toCellOutput(o));
    };
    try {
      const reply = await session.client.execute({ cellId: cell.document.uri.toString(), code: cell.document.getText() }, {
        stream: ({ name, text }) => {
          const item = name === "stderr" ? vscode.NotebookCellOutputItem.stderr(text) : vscode.NotebookCellOutputItem.stdout(text);
          if (last && last.name === name) void exec.appendOutputItems(item, last.output);
          else {
            const output = new vscode.NotebookCellOutput([item]);
            last = { name, output };
            void exec.appendOutput(output);
          }
        },
        display_data: ({ data, metadata }) => push({ output_type: "display_data", data, metadata }),
        execute_result: ({ data, metadata, executionCount }) => push({ output_type: "execute_result", execution_count: executionCount, data, metadata }),
        error: ({ ename, evalue, traceback }) => push({ output_type: "error", ename, evalue, traceback }),
      });
      if (reply.executionCount !== null) exec.executionOrder = reply.executionCount;
      exec.end(reply.status === "ok", Date.now());
      return reply.status === "ok";
    } catch (e) {
      await exec.appendOutput(new vscode.NotebookCellOutput([
        vscode.NotebookCellOutputItem.error({ name: (e as Error).name, message: (e as Error).message }),
      ]));
      exec.end(false, Date.now());
      return false;
    } finally {
      token.dispose();
    }
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.dispose()));
    this.sessions.clear();
    this.disposables.forEach((d) => d.dispose());
  }
}
