/**
 * @file Asks the kernel for a value: runs a Python expression silently (no execution count, no
 * output in any cell) and receives its JSON result as a private MIME type that
 * `_jaxnb.tools.emit` displays. Errors come back as exceptions with the Python message.
 */

import type { KernelSession } from "./kernelSession.js";

export const MIME_RESULT = "application/vnd.jaxnb.result+json";
let counter = 0;

export async function evaluate<T>(session: KernelSession, pythonExpr: string): Promise<T> {
  let result: { value?: T } | undefined;
  let error: string | undefined;
  const reply = await session.client.execute(
    { cellId: `jaxnb-internal-${++counter}`, code: `import _jaxnb.tools as _jaxnb_tools\n_jaxnb_tools.emit(${pythonExpr})`, silent: true },
    {
      display_data: ({ data }) => {
        if (MIME_RESULT in data) result = { value: data[MIME_RESULT] as T };
      },
      error: ({ ename, evalue }) => {
        error = `${ename}: ${evalue}`;
      },
    },
  );
  if (error || reply.status !== "ok") throw new Error(error ?? `kernel request ${reply.status}`);
  if (!result) throw new Error("the kernel returned no result");
  return result.value as T;
}

/** A Python string literal of `s` (JSON strings are valid Python literals). */
export const pyStr = (s: string): string => JSON.stringify(s);
