/**
 * @file Loaded by mocha before any test file (.mocharc.json `require`): the environment the
 * kernel reads at device discovery must be set before any test imports the kernel. Arrays made
 * without a device go to the CPU (the tables still run on every device of `testDevices()`).
 */

process.env.JAX_PLATFORMS ??= "cpu,webgpu";
