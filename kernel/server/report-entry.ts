/** @file The browser script HTML reports inline: vega-embed (with vega and vega-lite) as a global. */

import embed from "vega-embed";

(globalThis as unknown as { vegaEmbed: typeof embed }).vegaEmbed = embed;
