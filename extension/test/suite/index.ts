/**
 * @file The extension's test suite entry, run inside a real VS Code extension host
 * (`extensionTestsPath`, the same `run()` contract as @vscode/test-electron): mocha from the
 * repository's node_modules, with the suite's files bundled into `tests.cjs` beside this file.
 */

import * as path from "node:path";

export async function run(): Promise<void> {
  const repo = path.resolve(__dirname, "../../..");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Mocha = require(path.join(repo, "node_modules", "mocha")) as typeof import("mocha");
  const mocha = new Mocha({ ui: "bdd", timeout: 180_000, color: false, reporter: "spec" });
  mocha.suite.emit("pre-require", globalThis, "extension-suite", mocha);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(path.join(__dirname, "tests.cjs"));
  const failures = await new Promise<number>((resolve) => mocha.run(resolve));
  if (failures > 0) throw new Error(`${failures} extension test(s) failed`);
}
