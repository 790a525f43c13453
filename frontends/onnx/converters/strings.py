"""String ops (StringConcat, StringSplit, RegexFullMatch, StringNormalizer) onto vinify's
internal string ops."""

from vinify.frontends.onnx.context import NodeContext
from vinify.frontends.onnx.registry import converter


@converter("StringConcat", since=20)
def string_concat(ctx: NodeContext):
    return ctx.make("StringConcat", 1, ctx.input(0), ctx.input(1))


@converter("RegexFullMatch", since=20)
def regex_full_match(ctx: NodeContext):
    return ctx.make("RegexFullMatch", 1, ctx.input(0), pattern=ctx.attr("pattern"))


@converter("StringSplit", since=20)
def string_split(ctx: NodeContext):
    node = ctx.make("StringSplit", 1, ctx.input(0), delimiter=ctx.attr("delimiter", ""),
                    maxsplit=ctx.attr("maxsplit", -1))
    return list(node.outputs)


@converter("StringNormalizer", since=10)
def string_normalizer(ctx: NodeContext):
    return ctx.make("StringNormalizer", 1, ctx.input(0),
                    case_change_action=ctx.attr("case_change_action", "NONE"),
                    is_case_sensitive=bool(ctx.attr("is_case_sensitive", 0)),
                    stopwords=ctx.attr("stopwords", []))


@converter("TfIdfVectorizer", since=9)
def tf_idf_vectorizer(ctx: NodeContext):
    names = ("max_gram_length", "min_gram_length", "max_skip_count", "mode", "ngram_counts",
             "ngram_indexes", "pool_int64s", "pool_strings", "weights")
    attrs = {name: ctx.attr(name) for name in names if ctx.has_attr(name)}
    return ctx.make("TfIdfVectorizer", 1, ctx.input(0), **attrs)
