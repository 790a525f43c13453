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
