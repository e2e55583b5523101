/**
 * @file The kernel protocol (version below): JSON-RPC 2.0 between a client (the VS Code
 * extension, the `jaxnb` CLI) and the kernel process, one JSON object per line on the child's
 * stdin/stdout (or as messages on Node's IPC channel when the child was spawned with one).
 *
 * Requests (client → kernel; each gets exactly one response with the same `id`):
 * - `kernel_info` → `KernelInfo`
 * - `execute` `ExecuteParams` → `ExecuteReply`. While it runs, the kernel sends notifications
 *   tagged with the request's `cellId`: `stream`, `display_data`, `update_display_data`,
 *   `execute_result`, `error`. Requests queue: a second `execute` runs when the first is done.
 * - `interrupt` → `{}`: raises `KeyboardInterrupt` in the running cell (within the next Python
 *   bytecode; a kernel already dispatched finishes first). No effect when idle.
 * - `complete` `CompleteParams` → `CompleteReply` (names of the namespace, attributes after a dot)
 * - `inspect` `InspectParams` → `InspectReply` (type, shape/dtype of arrays, signature, docstring)
 * - `devices` → `DeviceInfo[]` (the devices `jax.devices()` lists, and the CPU ones)
 * - `shutdown` → `{}`; the process then exits.
 *
 * Notifications (kernel → client, no `id`): `ready` (`KernelInfo`, once, when Python is loaded),
 * the output notifications above, and `log` (kernel diagnostics, not cell output).
 *
 * A client learns that the kernel died from the process ending (exit code or signal): every
 * pending request is then answered with a "kernel died" error by the client library
 * (`client.ts`), never left hanging.
 */

export const PROTOCOL_VERSION = "1.0";

/** A MIME bundle, as in Jupyter: MIME type → data (text, or JSON for `+json` types). */
export type MimeBundle = Record<string, unknown>;

export const MIME = {
  text: "text/plain",
  html: "text/html",
  svg: "image/svg+xml",
  png: "image/png",
  vegalite: "application/vnd.vegalite.v5+json",
  sharding: "application/vnd.jaxnb.sharding+json",
  benchmark: "application/vnd.jaxnb.benchmark+json",
} as const;

export interface KernelInfo {
  protocolVersion: string;
  implementation: "jaxnb";
  implementationVersion: string;
  /** CPython version inside Pyodide. */
  languageVersion: string;
  /** `jax.default_backend()`: "cpu" or "webgpu". */
  backend: string;
}

export interface ExecuteParams {
  /** The client's id for the cell; echoed in every output notification. */
  cellId: string;
  code: string;
  /**
   * The file name tracebacks show for this code (default `Cell In[n]` style, as IPython), and
   * the line of that file the code starts at (1-based; default 1): `bin/jaxnb run x.py` maps
   * tracebacks to lines of `x.py`.
   */
  filename?: string;
  firstLine?: number;
  /** Run without an execution count and without displaying the last expression. */
  silent?: boolean;
}

export type ExecuteStatus = "ok" | "error" | "aborted";

export interface ExecuteReply {
  status: ExecuteStatus;
  /** The execution count of this cell (null when silent). */
  executionCount: number | null;
}

export interface StreamNotification {
  cellId: string;
  name: "stdout" | "stderr";
  text: string;
}

export interface DisplayNotification {
  cellId: string;
  data: MimeBundle;
  metadata: Record<string, unknown>;
  /** `display(..., display_id=...)`: later `update_display_data` with the same id replaces it. */
  displayId?: string;
}

export interface ExecuteResultNotification {
  cellId: string;
  executionCount: number;
  data: MimeBundle;
  metadata: Record<string, unknown>;
}

export interface ErrorNotification {
  cellId: string;
  ename: string;
  evalue: string;
  /** Lines of the formatted traceback (plain text, no ANSI), JAX-internal frames removed. */
  traceback: string[];
}

export interface CompleteParams {
  code: string;
  /** Offset in `code` (UTF-16 units) where completion is asked. */
  cursorPos: number;
}
export interface CompleteReply {
  matches: string[];
  cursorStart: number;
  cursorEnd: number;
}

export interface InspectParams {
  code: string;
  cursorPos: number;
}
export interface InspectReply {
  found: boolean;
  name?: string;
  /** `type(obj).__name__` (e.g. `Array`, `function`, `module`). */
  type?: string;
  shape?: number[];
  dtype?: string;
  signature?: string;
  doc?: string;
  /** A text/plain rendering (repr, shortened). */
  data?: MimeBundle;
}

export interface DeviceInfo {
  id: number;
  platform: "cpu" | "webgpu";
  deviceKind: string;
  /** JAX's repr: `CpuDevice(id=0)`. */
  repr: string;
  /** Whether `jax.devices()` (the default backend) lists it. */
  isDefault: boolean;
}

/** The name of each notification and its parameters. */
export interface Notifications {
  ready: KernelInfo;
  stream: StreamNotification;
  display_data: DisplayNotification;
  update_display_data: DisplayNotification;
  execute_result: ExecuteResultNotification;
  error: ErrorNotification;
  log: { level: "info" | "warn" | "error"; message: string };
}

/** The name of each request, its parameters and its result. */
export interface Requests {
  kernel_info: [Record<string, never>, KernelInfo];
  execute: [ExecuteParams, ExecuteReply];
  interrupt: [Record<string, never>, Record<string, never>];
  complete: [CompleteParams, CompleteReply];
  inspect: [InspectParams, InspectReply];
  devices: [Record<string, never>, DeviceInfo[]];
  shutdown: [Record<string, never>, Record<string, never>];
}

export type RequestMethod = keyof Requests;
export type NotificationMethod = keyof Notifications;

/** JSON-RPC 2.0 message shapes. */
export interface RpcRequest {
  jsonrpc: "2.0";
  id: number;
  method: string;
  params?: unknown;
}
export interface RpcResponse {
  jsonrpc: "2.0";
  id: number;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}
export interface RpcNotification {
  jsonrpc: "2.0";
  method: string;
  params?: unknown;
}
export type RpcMessage = RpcRequest | RpcResponse | RpcNotification;

/** JSON-RPC error codes used by the kernel. */
export const RPC_ERROR = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  /** Produced by the client library when the process ended with requests pending. */
  kernelDied: -32000,
} as const;
