"""The sharding runtime's debug log (what the partitioner did that costs time, e.g. computing a
primitive without a sharding rule on one device from gathered inputs) as DEBUG records of the
`jax._src.sharding` logger: `logging.getLogger("jax._src.sharding").setLevel(logging.DEBUG)`
with a handler shows them."""

import logging

from pyodide.ffi import create_proxy

from .bridge import B

logger = logging.getLogger("jax._src.sharding")


def _forward(msg):
    logger.debug("%s", msg)


B.onShardingLog(create_proxy(_forward))
