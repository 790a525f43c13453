"""ONNX-ML ops that are cheap to support: LabelEncoder, Binarizer, ArrayFeatureExtractor."""

import numpy as np
from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.registry import converter

ML = "ai.onnx.ml"
_KINDS = (("strings", object), ("int64s", np.int64), ("floats", np.float32))


def _listed(ctx: NodeContext, prefix: str) -> np.ndarray | None:
    if ctx.has_attr(f"{prefix}_tensor"):
        return ctx.attr(f"{prefix}_tensor")
    for suffix, dtype in _KINDS:
        if ctx.has_attr(f"{prefix}_{suffix}"):
            return np.array(ctx.attr(f"{prefix}_{suffix}"), dtype=dtype)
    return None


def _default(ctx: NodeContext, values: np.ndarray) -> np.ndarray:
    if ctx.has_attr("default_tensor"):
        return ctx.attr("default_tensor")
    if values.dtype == object:
        return np.array([ctx.attr("default_string", "_Unused")], dtype=object)
    if values.dtype.kind in "iu":
        return np.array([ctx.attr("default_int64", -1)], dtype=values.dtype)
    return np.array([ctx.attr("default_float", -0.0)], dtype=values.dtype)


@converter("LabelEncoder", since=1, domain=ML)
def label_encoder(ctx: NodeContext):
    keys, values = _listed(ctx, "keys"), _listed(ctx, "values")
    if keys is None or values is None:
        raise ctx.error("needs keys_* and values_* attributes")
    return ctx.make("LabelEncoder", 1, ctx.input(0), keys=keys, values=values,
                    default=_default(ctx, values))


@converter("Binarizer", since=1, domain=ML)
def binarizer(ctx: NodeContext):
    x = ctx.input(0)
    dtype = x.element_type.dtype
    above = ctx.make("Greater", 1, x, ctx.const(np.asarray(ctx.attr("threshold", 0.0), dtype)))
    return ctx.make("Select", 1, above, ctx.const(np.ones((), dtype)),
                    ctx.const(np.zeros((), dtype)))


@converter("ArrayFeatureExtractor", since=1, domain=ML)
def array_feature_extractor(ctx: NodeContext):
    return ctx.make("Gather", 8, ctx.input(0), ctx.input(1), ctx.const(np.array(-1, np.int64)))


@converter("TreeEnsemble", since=5, domain=ML)
def tree_ensemble(ctx: NodeContext):
    if ctx.attr("post_transform", 0) == 4:
        raise ctx.error("post_transform PROBIT is not supported")
    names = ("aggregate_function", "post_transform", "n_targets", "tree_roots", "nodes_modes",
             "nodes_featureids", "nodes_splits", "nodes_truenodeids", "nodes_trueleafs",
             "nodes_falsenodeids", "nodes_falseleafs", "nodes_missing_value_tracks_true",
             "leaf_targetids", "leaf_weights", "membership_values")
    attrs = {name: ctx.attr(name) for name in names if ctx.has_attr(name)}
    return ctx.make("TreeEnsemble", 1, ctx.input(0), **attrs)
