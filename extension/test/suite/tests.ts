/** @file Every extension test file, bundled as one module that `index.ts` loads after mocha's globals exist. */

import "./serializer.test.js";
import "./kernel.test.js";
import "./hover.test.js";
