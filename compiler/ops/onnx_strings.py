"""Internal string ops (domain "vinify") for ONNX string processing: StringConcat, StringSplit,
RegexFullMatch, StringNormalizer. Strings are numpy object arrays of Python str."""

import re

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.ops.shape_rules import broadcast_shapes
from vinify.shapes import DYNAMIC, DYNAMIC_RANK, PartialShape, TensorType
from vinify.types import boolean, i64, string


def _require_strings(ctx: InferContext, *indices: int) -> None:
    for index in indices:
        if ctx.element_type(index) != string:
            raise ctx.error(f"input {index} must be a string tensor, got {ctx.element_type(index)}")


def _text(item) -> str:
    return item.decode("utf-8") if isinstance(item, bytes) else str(item)


@register
class StringConcat(Op):
    name, version, domain = "StringConcat", 1, "vinify"
    num_inputs = (2, 2)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        _require_strings(ctx, 0, 1)
        return [TensorType(string, broadcast_shapes(ctx, ctx.shape(0), ctx.shape(1)))]

    @classmethod
    def evaluate(cls, attrs: dict, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        joined = np.frompyfunc(lambda x, y: _text(x) + _text(y), 2, 1)(a, b)
        return np.asarray(joined, dtype=object)


@register
class RegexFullMatch(Op):
    name, version, domain = "RegexFullMatch", 1, "vinify"
    attributes = (Attr("pattern", "str", ""),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        _require_strings(ctx, 0)
        try:
            re.compile(ctx.attrs["pattern"])
        except re.error as error:
            raise ctx.error(f"pattern {ctx.attrs['pattern']!r} is not a valid regex: {error}")
        return [TensorType(boolean, ctx.shape(0))]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        pattern = re.compile(attrs["pattern"])
        matches = [pattern.fullmatch(_text(item)) is not None for item in x.reshape(-1)]
        return np.array(matches, bool).reshape(x.shape)


def _split(text: str, delimiter: str, maxsplit: int) -> list[str]:
    if delimiter:
        return text.split(delimiter, maxsplit)
    return text.split(None, maxsplit)


@register
class StringSplit(Op):
    """Splits each string; outputs the padded substrings (one more axis) and their counts."""

    name, version, domain = "StringSplit", 1, "vinify"
    attributes = (Attr("delimiter", "str", ""), Attr("maxsplit", "int", -1))

    @classmethod
    def num_outputs(cls, attrs: dict, num_inputs: int) -> int:
        return 2

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        _require_strings(ctx, 0)
        shape = ctx.shape(0)
        parts = DYNAMIC_RANK if shape.dims is None else PartialShape(shape.dims + (DYNAMIC,))
        return [TensorType(string, parts), TensorType(i64, shape)]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray):
        pieces = [_split(_text(s), attrs["delimiter"], attrs["maxsplit"]) for s in x.reshape(-1)]
        width = max((len(p) for p in pieces), default=0)
        result = np.full((len(pieces), width), "", dtype=object)
        for row, parts in enumerate(pieces):
            result[row, :len(parts)] = parts
        counts = np.array([len(p) for p in pieces], np.int64).reshape(x.shape)
        return result.reshape(x.shape + (width,)), counts


@register
class StringNormalizer(Op):
    """Drops stop words from a [C] or [1, C] tensor, then changes case as asked."""

    name, version, domain = "StringNormalizer", 1, "vinify"
    attributes = (Attr("case_change_action", "str", "NONE", ("NONE", "LOWER", "UPPER")),
                  Attr("is_case_sensitive", "bool", False), Attr("stopwords", "strs", ()))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        _require_strings(ctx, 0)
        shape = ctx.shape(0)
        if shape.dims is None:
            return [TensorType(string, DYNAMIC_RANK)]
        return [TensorType(string, PartialShape(shape.dims[:-1] + (DYNAMIC,)))]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        words = [_text(w) for w in x.reshape(-1)]
        if attrs["is_case_sensitive"]:
            stop = set(attrs["stopwords"])
            kept = [w for w in words if w not in stop]
        else:
            stop = {w.lower() for w in attrs["stopwords"]}
            kept = [w for w in words if w.lower() not in stop]
        action = attrs["case_change_action"]
        kept = [w.lower() if action == "LOWER" else w.upper() if action == "UPPER" else w
                for w in kept]
        if not kept:
            kept = [""]
        result = np.array(kept, dtype=object)
        return result.reshape(1, -1) if x.ndim == 2 else result


def _ngram_table(attrs: dict) -> dict[tuple, int]:
    """n-gram (a tuple of pool items) -> its output coordinate."""
    pool = list(attrs["pool_strings"]) or list(attrs["pool_int64s"])
    starts = list(attrs["ngram_counts"]) + [len(pool)]
    table, ordinal = {}, 0
    for length, (begin, end) in enumerate(zip(starts, starts[1:]), start=1):
        for offset in range(begin, end, length):
            table[tuple(pool[offset:offset + length])] = attrs["ngram_indexes"][ordinal]
            ordinal += 1
    return table


def _count_ngrams(row: list, table: dict, attrs: dict, width: int) -> np.ndarray:
    counts = np.zeros(width, np.float64)
    for length in range(attrs["min_gram_length"], attrs["max_gram_length"] + 1):
        skips = range(attrs["max_skip_count"] + 1) if length > 1 else [0]
        for skip in skips:
            step = skip + 1
            for start in range(len(row) - (length - 1) * step):
                gram = tuple(row[start + j * step] for j in range(length))
                if gram in table:
                    counts[table[gram]] += 1
    return counts


@register
class TfIdfVectorizer(Op):
    """Counts the pool's n-grams (with up to max_skip_count skips) in each row of a 1-D or 2-D
    integer or string input; weights them per `mode` (TF, IDF, TFIDF). Output f32."""

    name, version, domain = "TfIdfVectorizer", 1, "vinify"
    attributes = (Attr("max_gram_length", "int"), Attr("min_gram_length", "int"),
                  Attr("max_skip_count", "int"), Attr("mode", "str", "TF", ("TF", "IDF", "TFIDF")),
                  Attr("ngram_counts", "ints"), Attr("ngram_indexes", "ints"),
                  Attr("pool_int64s", "ints", ()), Attr("pool_strings", "strs", ()),
                  Attr("weights", "floats", ()))

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        from vinify.shapes import Dimension
        from vinify.types import f32

        width = Dimension.of(max(ctx.attrs["ngram_indexes"], default=-1) + 1)
        shape = ctx.shape(0)
        if shape.dims is None:
            return [TensorType(f32, DYNAMIC_RANK)]
        if len(shape.dims) not in (1, 2):
            raise ctx.error(f"the input must be 1-D or 2-D, got {shape}")
        dims = (width,) if len(shape.dims) == 1 else (shape.dims[0], width)
        return [TensorType(f32, PartialShape(dims))]

    @classmethod
    def evaluate(cls, attrs: dict, x: np.ndarray) -> np.ndarray:
        table = _ngram_table(attrs)
        width = max(attrs["ngram_indexes"], default=-1) + 1
        rows = x.reshape(1, -1) if x.ndim == 1 else x
        strings = bool(attrs["pool_strings"])
        counts = np.stack([_count_ngrams([_text(v) if strings else int(v) for v in row],
                                         table, attrs, width) for row in rows])
        weights = np.ones(width)
        if attrs["weights"]:
            weights = np.zeros(width)
            for ordinal, index in enumerate(attrs["ngram_indexes"]):
                weights[index] = attrs["weights"][ordinal]
        if attrs["mode"] == "IDF":
            counts = np.minimum(counts, 1) * weights
        elif attrs["mode"] == "TFIDF":
            counts = counts * weights
        result = counts.astype(np.float32)
        return result[0] if x.ndim == 1 else result
