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


def _as_f32(ctx: NodeContext, x):
    if x.element_type.name == "f32":
        return x
    return ctx.make("Convert", 1, x, destination_type="f32").outputs[0]


@converter("Scaler", since=1, domain=ML)
def scaler(ctx: NodeContext):
    """(x - offset) * scale per feature, in f32."""
    x = _as_f32(ctx, ctx.input(0))
    offset = np.asarray(ctx.attr("offset", [0.0]), np.float32)
    scale = np.asarray(ctx.attr("scale", [1.0]), np.float32)
    shifted = ctx.make("Subtract", 1, x, ctx.const(offset))
    return ctx.make("Multiply", 1, shifted, ctx.const(scale))


@converter("Normalizer", since=1, domain=ML)
def normalizer(ctx: NodeContext):
    """Each row divided by its max, L1 norm or L2 norm."""
    x = _as_f32(ctx, ctx.input(0))
    norm = ctx.attr("norm", "MAX")
    axes = ctx.const(np.array([-1], np.int64))
    if norm == "MAX":
        scale = ctx.make("ReduceMax", 1, x, axes, keep_dims=True)
    elif norm == "L1":
        scale = ctx.make("ReduceSum", 1, ctx.make("Abs", 1, x), axes, keep_dims=True)
    elif norm == "L2":
        squares = ctx.make("ReduceSum", 1, ctx.make("Multiply", 1, x, x), axes, keep_dims=True)
        scale = ctx.make("Sqrt", 1, squares)
    else:
        raise ctx.error(f"norm must be MAX, L1 or L2, got {norm!r}")
    return ctx.make("Divide", 1, x, scale)


@converter("LinearRegressor", since=1, domain=ML)
def linear_regressor(ctx: NodeContext):
    """x @ coefficients^T + intercepts (post_transform NONE only)."""
    if ctx.attr("post_transform", "NONE") != "NONE":
        raise ctx.error("only post_transform NONE is supported")
    x = _as_f32(ctx, ctx.input(0))
    targets = ctx.attr("targets", 1)
    weights = np.asarray(ctx.attr("coefficients"), np.float32).reshape(targets, -1)
    product = ctx.make("MatMul", 1, x, ctx.const(weights), transpose_b=True)
    intercepts = np.asarray(ctx.attr("intercepts", [0.0] * targets), np.float32)
    return ctx.make("Add", 1, product, ctx.const(intercepts))


@converter("Imputer", since=1, domain=ML)
def imputer(ctx: NodeContext):
    """Replaces the placeholder value (NaN by default) with each feature's imputed value."""
    x = ctx.input(0)
    dtype = x.element_type.dtype
    if ctx.has_attr("imputed_value_int64s"):
        imputed, placeholder = ctx.attr("imputed_value_int64s"), \
            ctx.attr("replaced_value_int64", 0)
    else:
        imputed, placeholder = ctx.attr("imputed_value_floats"), \
            ctx.attr("replaced_value_float", 0.0)
    fill = ctx.const(np.asarray(imputed, dtype))
    if x.element_type.is_float and np.isnan(placeholder):
        missing = ctx.make("IsNaN", 10, x)
    else:
        missing = ctx.make("Equal", 1, x, ctx.const(np.asarray(placeholder, dtype)))
    return ctx.make("Select", 1, missing, fill, x)


@converter("CategoryMapper", since=1, domain=ML)
def category_mapper(ctx: NodeContext):
    """Strings to integers or integers to strings, through the two parallel category lists."""
    strings = np.array(ctx.attr("cats_strings"), dtype=object)
    numbers = np.array(ctx.attr("cats_int64s"), np.int64)
    x = ctx.input(0)
    if x.element_type.name == "string":
        return ctx.make("LabelEncoder", 1, x, keys=strings, values=numbers,
                        default=np.array([ctx.attr("default_int64", -1)], np.int64))
    return ctx.make("LabelEncoder", 1, x, keys=numbers, values=strings,
                    default=np.array([ctx.attr("default_string", "_Unused")], dtype=object))


@converter("OneHotEncoder", since=1, domain=ML)
def one_hot_encoder(ctx: NodeContext):
    """One more axis of length len(categories): 1.0 where the value equals the category."""
    x = ctx.input(0)
    if x.element_type.name == "string":
        categories = np.array(ctx.attr("cats_strings"), dtype=object)
    else:
        categories = np.array(ctx.attr("cats_int64s"), np.int64)
        x = ctx.make("Convert", 1, x, destination_type="i64").outputs[0]
    if not x.shape.rank_is_static:
        raise ctx.error("needs an input of known rank")
    axis = ctx.const(np.array([x.shape.rank], np.int64))
    hits = ctx.make("Equal", 1, ctx.make("Unsqueeze", 1, x, axis), ctx.const(categories))
    return ctx.make("Convert", 1, hits, destination_type="f32")


@converter("FeatureVectorizer", since=1, domain=ML)
def feature_vectorizer(ctx: NodeContext):
    """Inputs as [N, d_i] f32 blocks joined along axis 1."""
    sizes = ctx.attr("inputdimensions")
    blocks = []
    for value, size in zip([v for v in ctx.inputs() if v is not None], sizes):
        pattern = ctx.const(np.array([-1, size], np.int64))
        flat = ctx.make("Reshape", 1, _as_f32(ctx, value), pattern, special_zero=False)
        blocks.append(flat.outputs[0])
    return ctx.make("Concat", 1, *blocks, axis=1)


def _class_labels(ctx: NodeContext) -> np.ndarray:
    if ctx.has_attr("classlabels_strings"):
        return np.array(ctx.attr("classlabels_strings"), dtype=object)
    return np.array(ctx.attr("classlabels_ints"), np.int64)


def _transformed(ctx: NodeContext, scores):
    transform = ctx.attr("post_transform", "NONE")
    if transform == "NONE":
        return scores
    if transform == "LOGISTIC":
        return ctx.make("Sigmoid", 1, scores).outputs[0]
    if transform == "SOFTMAX":
        return ctx.make("Softmax", 8, scores, axis=-1).outputs[0]
    raise ctx.error(f"post_transform {transform} is not supported")


def _binary_classifier(ctx: NodeContext, score, labels: np.ndarray) -> list:
    """One score column s for two classes: scores [1 - t(s), t(s)], class 1 where s > 0."""
    positive = _transformed(ctx, score)
    negative = ctx.make("Subtract", 1, ctx.const(np.float32(1.0)), positive)
    scores = ctx.make("Concat", 1, negative, positive, axis=1)
    above = ctx.make("Greater", 1, score, ctx.const(np.float32(0.0)))
    chosen = ctx.make("Select", 1, above, ctx.const(labels[1:2]), ctx.const(labels[0:1]))
    axes = ctx.const(np.array([1], np.int64))
    return [ctx.make("Squeeze", 1, chosen, axes).outputs[0], scores.outputs[0]]


@converter("LinearClassifier", since=1, domain=ML)
def linear_classifier(ctx: NodeContext):
    """Scores x @ W^T + b; the label of the best score (one score column: binary, s > 0)."""
    x = _as_f32(ctx, ctx.input(0))
    labels = _class_labels(ctx)
    coefficients = np.asarray(ctx.attr("coefficients"), np.float32)
    intercepts = np.asarray(ctx.attr("intercepts", []), np.float32)
    classes = max(len(intercepts), 1)
    weights = coefficients.reshape(classes, -1)
    scores = ctx.make("MatMul", 1, x, ctx.const(weights), transpose_b=True).outputs[0]
    if intercepts.size:
        scores = ctx.make("Add", 1, scores, ctx.const(intercepts)).outputs[0]
    if classes == 1 and labels.size == 2:
        return _binary_classifier(ctx, scores, labels)
    best = ctx.make("TopK", 11, scores, ctx.const(np.array(1, np.int64)), axis=-1, mode="max",
                    sort="none", index_element_type="i64", stable=True).outputs[1]
    axes = ctx.const(np.array([1], np.int64))
    index = ctx.make("Squeeze", 1, best, axes)
    label = ctx.make("Gather", 8, ctx.const(labels), index, ctx.const(np.array(0, np.int64)))
    return [label.outputs[0], _transformed(ctx, scores)]


def _kernel(ctx: NodeContext, x, vectors: np.ndarray):
    """K(x, sv) for every row of x and support vector: [N, n_supports]."""
    kind = ctx.attr("kernel_type", "LINEAR")
    gamma, coef0, degree = (list(ctx.attr("kernel_params", [])) + [0.0, 0.0, 0.0])[:3]
    dot = ctx.make("MatMul", 1, x, ctx.const(vectors), transpose_b=True).outputs[0]
    if kind == "LINEAR":
        return dot
    if kind == "RBF":  # exp(-gamma |x - sv|^2), |x - sv|^2 = |x|^2 - 2 x.sv + |sv|^2
        axes = ctx.const(np.array([1], np.int64))
        rows = ctx.make("ReduceSum", 1, ctx.make("Multiply", 1, x, x), axes, keep_dims=True)
        columns = ctx.const((vectors * vectors).sum(axis=1).astype(np.float32))
        twice = ctx.make("Multiply", 1, dot, ctx.const(np.float32(2.0)))
        distance = ctx.make("Add", 1, ctx.make("Subtract", 1, rows, twice), columns)
        scaled = ctx.make("Multiply", 1, distance, ctx.const(np.float32(-gamma)))
        return ctx.make("Exp", 1, scaled).outputs[0]
    affine = ctx.make("Add", 1, ctx.make("Multiply", 1, dot, ctx.const(np.float32(gamma))),
                      ctx.const(np.float32(coef0)))
    if kind == "POLY":
        return ctx.make("Power", 1, affine, ctx.const(np.float32(degree))).outputs[0]
    if kind == "SIGMOID":
        return ctx.make("Tanh", 1, affine).outputs[0]
    raise ctx.error(f"kernel_type {kind!r} is not supported")


@converter("SVMRegressor", since=1, domain=ML)
def svm_regressor(ctx: NodeContext):
    """sum_i coefficient_i K(x, sv_i) + rho (n_supports = 0: a linear model x.w + rho)."""
    if ctx.attr("post_transform", "NONE") != "NONE":
        raise ctx.error("only post_transform NONE is supported")
    x = _as_f32(ctx, ctx.input(0))
    coefficients = np.asarray(ctx.attr("coefficients"), np.float32)
    rho = ctx.const(np.asarray(ctx.attr("rho", [0.0])[:1], np.float32))
    supports = ctx.attr("n_supports", 0)
    if supports:
        vectors = np.asarray(ctx.attr("support_vectors"), np.float32).reshape(supports, -1)
        weights = ctx.const(coefficients.reshape(supports, 1))
        total = ctx.make("MatMul", 1, _kernel(ctx, x, vectors), weights)
    else:
        total = ctx.make("MatMul", 1, x, ctx.const(coefficients.reshape(-1, 1)))
    result = ctx.make("Add", 1, total, rho).outputs[0]
    if not ctx.attr("one_class", 0):
        return result
    positive = ctx.make("Greater", 1, result, ctx.const(np.float32(0.0)))
    return ctx.make("Select", 1, positive, ctx.const(np.float32(1.0)), ctx.const(np.float32(-1.0)))
