/** @file Helpers for the Python-level tests: run `bin/jaxnb`, and read what it wrote. */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const programs = path.join(root, "test/python/programs");
export const jaxnb = path.join(root, "bin/jaxnb");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `bin/jaxnb` with arguments (relative to the repository root); never throws. */
export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliResult> {
  const start = Date.now();
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [jaxnb, ...args], { cwd: opts.cwd ?? root, env: { ...process.env, ...opts.env } });
    let stdout = "";
    let stderr = "";
    p.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    p.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    p.on("close", (code) => resolve({ code, stdout, stderr, ms: Date.now() - start }));
  });
}

/**
 * Runs test/python/programs/`name` with `bin/jaxnb run` (on the CPU unless `env` says otherwise),
 * asserts that it succeeded (its stderr as the message), and returns its output.
 */
export async function runProgram(name: string, env: NodeJS.ProcessEnv = { JAX_PLATFORMS: "cpu" }): Promise<string> {
  const r = await runCli(["run", path.join(programs, name)], { env });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

export const tempDir = (): string => mkdtempSync(path.join(tmpdir(), "jaxnb-test-"));

export const readJson = <T = unknown>(file: string): T => JSON.parse(readFileSync(file, "utf8")) as T;

/** Asserts |a - b| <= atol + rtol·|b| elementwise, naming the first offender. */
export function assertAllClose(actual: readonly number[], expected: readonly number[], what: string, rtol: number, atol: number): void {
  if (actual.length !== expected.length) throw new Error(`${what}: ${actual.length} values, expected ${expected.length}`);
  expected.forEach((e, i) => {
    const a = actual[i];
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) throw new Error(`${what}[${i}]: got ${a}, expected ${e} (rtol ${rtol}, atol ${atol})`);
  });
}

export const flat = (x: unknown): number[] => (Array.isArray(x) ? x.flatMap(flat) : [x as number]);
