"""DFT, IDFT, RDFT and IRDFT as dense linear maps measured from their own references.

With the axes and signal sizes known at compile time, each of these ops is linear in its data
(complex numbers as real pairs), so out = M x. Column i of M is the reference applied (in f64)
to the i-th unit vector; the kernel is then one dot product per output element. This needs no
FFT code of its own and matches the reference's conventions (scaling, half spectra, padding and
cropping to signal_size) by construction. It suits the small transforms it is meant for: the
probe count is bounded by MAX_INPUTS and the table by MAX_TABLE.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import LoweringContext, lowers, static_shape
from vinify.errors import DeviceError

LINEAR_OPS = ("DFT", "IDFT", "RDFT", "IRDFT")
MAX_INPUTS = 4096
MAX_TABLE = 1 << 22  # elements of M


def measured_map(ctx: LoweringContext, node: Any) -> np.ndarray:
    """M [outputs, inputs] with the node's reference(x) == M @ x for every x."""
    shape = static_shape(node.inputs[0])
    count = int(np.prod(shape, dtype=np.int64))
    outputs = int(np.prod(static_shape(node.outputs[0]), dtype=np.int64))
    if count > MAX_INPUTS or count * outputs > MAX_TABLE:
        raise DeviceError(f"CPU: {node.describe()}: a {count}-element transform is too large "
                          f"for the CPU's dense form")
    rest = []
    for index, value in enumerate(node.inputs[1:], start=1):
        array = ctx.constant(value)
        if array is None:
            raise DeviceError(f"CPU: {node.describe()}: input {index} must be constant")
        rest.append(np.asarray(array))
    columns = np.zeros((outputs, count))
    probe = np.zeros(count, np.float64)
    for i in range(count):
        probe[i] = 1.0
        columns[:, i] = np.asarray(node.op.evaluate(node.attrs, probe.reshape(shape), *rest),
                                   np.float64).reshape(-1)
        probe[i] = 0.0
    return columns


@lowers(*LINEAR_OPS)
def lower_linear_map(ctx: LoweringContext, node: Any) -> None:
    matrix = measured_map(ctx, node)
    outputs, count = matrix.shape
    weights = ctx.add_weights("linear_map", matrix, "f32")
    x, out = ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])
    row, i, acc = K.Var("row"), K.Var("i"), K.Var("acc", "f32")
    entry = K.Load(weights, K.Binary("add", K.Binary("mul", row, K.Const(count)), i))
    body = (K.Let(acc, K.Const(0.0, "f32")),
            K.Loop(i, K.Const(0), K.Const(count), (K.Let(acc, K.Fma(entry, K.Load(x, i), acc)),)),
            K.Store(out, row, acc))
    ctx.emit("linear_map", [K.Loop(row, K.Const(0), K.Const(outputs), body,
                                   parallel=outputs > 1)], node.describe())
