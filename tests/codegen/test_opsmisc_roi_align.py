"""CPU and GPU against TEMPLATE for ROIAlign (codegen/lowering/roi_align.py): avg and max,
every aligned mode, fixed and adaptive sampling grids, boxes partly off the image."""

import numpy as np
import pytest
from vinify import ir

from tests.codegen import device_check

RNG = np.random.default_rng(73)
BOXES = np.array([[0.0, 0.0, 9.0, 9.0], [2.5, 1.0, 7.2, 8.4], [-3.0, 4.0, 12.0, 11.5],
                  [5.0, 5.0, 5.5, 6.0]], np.float32)


def roi_align_graph(**attrs):
    data = ir.parameter("data", "f32", (2, 3, 10, 10))
    rois = ir.parameter("rois", "f32", (4, 4))
    batch = ir.parameter("batch", "i32", (4,))
    settings = {"pooled_h": 3, "pooled_w": 4, "sampling_ratio": 2, "spatial_scale": 1.0,
                **attrs}
    y = ir.make("ROIAlign", 9, [data, rois, batch], **settings)
    return ir.Graph([data, rois, batch], [y])


def feeds():
    return [RNG.normal(0, 1, (2, 3, 10, 10)).astype(np.float32), BOXES,
            np.array([0, 1, 1, 0], np.int32)]


@pytest.mark.parametrize("mode", ["avg", "max"])
@pytest.mark.parametrize("aligned_mode", ["asymmetric", "half_pixel_for_nn", "half_pixel"])
@pytest.mark.parametrize("sampling_ratio", [0, 2])
def test_roi_align_matches_template(mode, aligned_mode, sampling_ratio):
    graph = roi_align_graph(mode=mode, aligned_mode=aligned_mode,
                            sampling_ratio=sampling_ratio, spatial_scale=0.8)
    device_check.check_against_template(graph, feeds(), "CPU", rtol=1e-4, atol=1e-5)


def test_roi_align_on_gpu():
    graph = roi_align_graph(mode="avg", aligned_mode="half_pixel", sampling_ratio=0)
    device_check.check_against_template(graph, feeds(), "GPU", rtol=1e-4, atol=1e-5)
