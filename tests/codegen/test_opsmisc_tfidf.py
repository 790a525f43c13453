"""CPU and GPU against TEMPLATE for TfIdfVectorizer on integer pools
(codegen/lowering/tfidf.py): unigrams to trigrams, skips, every mode with weights, batched and
single rows, two n-grams sharing an output coordinate."""

import numpy as np
import pytest
from vinify import ir

from tests.codegen import device_check

RNG = np.random.default_rng(97)
POOL = {"ngram_counts": [0, 3, 7], "pool_int64s": [2, 3, 5, 4, 5, 6, 7, 8, 6, 2, 3, 5, 4],
        "ngram_indexes": [0, 1, 2, 3, 4, 5, 1]}  # the trigram shares coordinate 1


def tfidf_graph(shape, **attrs):
    x = ir.parameter("x", "i64", shape)
    settings = {"max_gram_length": 3, "min_gram_length": 1, "max_skip_count": 2, **POOL,
                **attrs}
    return ir.Graph([x], [ir.make("TfIdfVectorizer", 1, [x], **settings)])


@pytest.mark.parametrize("mode,weights", [("TF", ()), ("IDF", (0.5, 1.0, 2.0, 0.1, 3.0, 1.5, 0.7)),
                                          ("TFIDF", (0.5, 1.0, 2.0, 0.1, 3.0, 1.5, 0.7)),
                                          ("IDF", ())])
@pytest.mark.parametrize("shape", [(14,), (3, 9)])
def test_tfidf_matches_template(mode, weights, shape):
    graph = tfidf_graph(shape, mode=mode, weights=weights)
    x = RNG.integers(2, 9, shape).astype(np.int64)
    device_check.check_against_template(graph, [x], "CPU")


def test_tfidf_bigrams_only_without_skips():
    graph = tfidf_graph((12,), min_gram_length=2, max_gram_length=2, max_skip_count=0)
    x = np.array([2, 3, 5, 4, 4, 5, 6, 7, 8, 6, 7, 8], np.int64)
    device_check.check_against_template(graph, [x], "CPU")


def test_tfidf_on_gpu():
    graph = tfidf_graph((2, 10), mode="TFIDF", weights=(0.5, 1.0, 2.0, 0.1, 3.0, 1.5, 0.7))
    x = RNG.integers(2, 9, (2, 10)).astype(np.int64)
    device_check.check_against_template(graph, [x], "GPU")
