"""TfIdfVectorizer (integer pools): n-gram counts per row, weighted per mode (TF, IDF, TFIDF).

The pool's n-grams become tables (pool values, and per n-gram its offset, length and output
coordinate). Each row then loops over n-grams, skips and start positions, and counts the
positions whose items equal the n-gram's; counts accumulate per output coordinate (several
n-grams may share one), and a last pass applies the mode: TF keeps counts, IDF takes
min(count, 1) * weight, TFIDF count * weight. String pools are not compiled.
"""

from typing import Any

import numpy as np
from vinify.codegen import kernel_ir as K
from vinify.codegen.lowering.context import LoweringContext, lowers, static_shape
from vinify.errors import DeviceError


def _b(op: str, a: K.Expr, b: K.Expr | int | float) -> K.Expr:
    if isinstance(b, K.Expr):
        return K.Binary(op, a, b)
    return K.Binary(op, a, K.Const(float(b), "f32") if a.dtype == "f32" else K.Const(b))


def ngram_tables(attrs: dict) -> tuple[list[int], list[int], list[int]]:
    """(offset, length, output coordinate) of every n-gram of the pool, in pool order."""
    pool_size = len(attrs["pool_int64s"])
    starts = list(attrs["ngram_counts"]) + [pool_size]
    offsets, lengths = [], []
    for length, (begin, end) in enumerate(zip(starts, starts[1:]), start=1):
        for offset in range(begin, end, length):
            offsets.append(offset)
            lengths.append(min(length, pool_size - offset))  # a cut-off last n-gram is shorter
    return offsets, lengths, list(attrs["ngram_indexes"])[:len(offsets)]


def coordinate_weights(attrs: dict, width: int) -> np.ndarray:
    if not attrs["weights"]:
        return np.ones(width, np.float32)
    weights = np.zeros(width, np.float32)
    for ordinal, index in enumerate(attrs["ngram_indexes"]):
        weights[index] = attrs["weights"][ordinal]
    return weights


def _count_statements(attrs: dict, x: K.Buffer, row_start: K.Expr, length: int,
                      tables: dict, gram: K.Var, count: K.Var) -> list[K.Stmt]:
    """Adds to `count` the positions in the row where n-gram `gram` occurs (any skip)."""
    size, skip, start, j = K.Var("size"), K.Var("skip"), K.Var("start"), K.Var("j")
    offset, matched = K.Var("offset"), K.Var("matched", "i1")
    step = _b("add", skip, 1)
    position = _b("add", start, _b("mul", j, step))
    safe = K.Select(_b("lt", position, length), position, K.Const(0))
    item = K.Cast(K.Load(x, _b("add", row_start, safe)), "i64")
    equal = _b("eq", item, K.Load(tables["pool"], _b("add", offset, j)))
    fits = _b("lt", _b("add", start, _b("mul", _b("sub", size, 1), step)), length)
    in_levels = _b("and", _b("ge", size, attrs["min_gram_length"]),
                   _b("le", size, attrs["max_gram_length"]))
    skip_allowed = _b("or", _b("eq", skip, 0), _b("gt", size, 1))
    counted = _b("and", _b("and", fits, matched), _b("and", in_levels, skip_allowed))
    return [K.Let(size, K.Load(tables["length"], gram)),
            K.Let(offset, K.Load(tables["offset"], gram)),
            K.Loop(skip, K.Const(0), K.Const(attrs["max_skip_count"] + 1), (
                K.Loop(start, K.Const(0), K.Const(length), (
                    K.Let(matched, _b("eq", K.Const(0), K.Const(0))),
                    K.Loop(j, K.Const(0), size, (K.Let(matched, _b("and", matched, equal)),)),
                    K.Let(count, _b("add", count, K.Select(counted, K.Const(1), K.Const(0))))
                )),)),
            ]


@lowers("TfIdfVectorizer")
def lower_tfidf(ctx: LoweringContext, node: Any) -> None:
    attrs = node.attrs
    if attrs["pool_strings"]:
        raise DeviceError(f"CPU: {node.describe()}: string pools are not compiled")
    shape = static_shape(node.inputs[0])
    rows, length = (1, shape[0]) if len(shape) == 1 else shape
    width = static_shape(node.outputs[0])[-1]
    offsets, lengths, indexes = ngram_tables(attrs)
    tables = {"pool": ctx.add_weights("tfidf_pool", np.asarray(attrs["pool_int64s"] or [0]),
                                      "i64"),
              "offset": ctx.add_weights("tfidf_offset", np.asarray(offsets or [0]), "i64"),
              "length": ctx.add_weights("tfidf_length", np.asarray(lengths or [0]), "i64"),
              "index": ctx.add_weights("tfidf_index", np.asarray(indexes or [0]), "i64")}
    weights = ctx.add_weights("tfidf_weights", coordinate_weights(attrs, width))
    x, out = ctx.buffer(node.inputs[0]), ctx.output(node.outputs[0])
    row, gram, coordinate, count = K.Var("row"), K.Var("gram"), K.Var("o"), K.Var("count")
    target = K.Var("target")
    at = _b("add", _b("mul", row, width), target)
    counting = _count_statements(attrs, x, _b("mul", row, length), length, tables, gram, count)
    total = K.Load(out, _b("add", _b("mul", row, width), coordinate))
    weight = K.Load(weights, coordinate)
    weighted = {"TF": total, "IDF": _b("mul", _b("min", total, 1.0), weight),
                "TFIDF": _b("mul", total, weight)}[attrs["mode"]]
    body = (K.Loop(coordinate, K.Const(0), K.Const(width), (
                K.Store(out, _b("add", _b("mul", row, width), coordinate),
                        K.Const(0.0, "f32")),)),
            K.Loop(gram, K.Const(0), K.Const(len(offsets)), (
                K.Let(count, K.Const(0)), *counting,
                K.Let(target, K.Load(tables["index"], gram)),
                K.Store(out, at, _b("add", K.Load(out, at), K.Cast(count, "f32"))))),
            K.Loop(coordinate, K.Const(0), K.Const(width), (
                K.Store(out, _b("add", _b("mul", row, width), coordinate), weighted),)))
    ctx.emit("tfidf", [K.Loop(row, K.Const(0), K.Const(rows), body, parallel=rows > 1)],
             node.describe())
