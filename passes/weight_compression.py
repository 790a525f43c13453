"""FP16 weight compression: f32 weights are stored as f16 and decompressed by a Convert.

This is what OpenVINO's `compress_to_fp16` does: the model file halves, the graph computes in
f32 as before (values change only by f16 rounding; out-of-range values saturate at +-65504).
The Convert is marked rt_info["decompression"] so constant folding keeps it.

    %w = Constant<1>() {value=tensor<f32[64]: ...>} : f32[64]
  becomes
    %0 = Constant<1>() {value=tensor<f16[64]: ...>} : f16[64]
    %w = Convert<1>(%0) {destination_type=f32} : f32[64]

Constants below `min_elements` (scalars, small shape-like values) stay f32.
"""

from dataclasses import dataclass

import numpy as np
from vinify.ir import Graph, constant, make
from vinify.passes.constant_folding import DECOMPRESSION
from vinify.passes.graph_edit import replace_value
from vinify.passes.pass_manager import Pass, register_pass
from vinify.types import f32

F16_MAX = float(np.finfo(np.float16).max)


@register_pass
@dataclass(frozen=True)
class CompressWeightsFp16(Pass):
    name = "compress-weights-fp16"
    min_elements: int = 16

    def run(self, graph: Graph) -> None:
        for node in graph.nodes():
            if node.op.name != "Constant":
                continue
            value = node.outputs[0]
            array = node.attrs["value"]
            if value.element_type != f32 or array.size < self.min_elements:
                continue
            halves = np.clip(array, -F16_MAX, F16_MAX).astype(np.float16)
            stored = constant(halves, name=f"{node.name}/fp16" if node.name else None)
            decompress = make("Convert", 1, [stored], destination_type=f32)
            decompress.rt_info[DECOMPRESSION] = True
            replace_value(value, decompress.outputs[0], [node], existing=set())
