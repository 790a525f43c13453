"""ImageDecoder: the PNG decoder against a hand-encoded image using all five scanline filters,
BMP/PNM layouts, pixel formats, and the typed refusal of formats vinify cannot decode."""

import struct
import zlib

import numpy as np
import pytest
import vinify
from onnx import TensorProto, helper
from vinify.errors import InferenceError
from vinify.frontends.onnx import read_onnx_model
from vinify.ops.onnx_image import decode_image

IMAGE = np.random.default_rng(0).integers(0, 256, (5, 4, 3), dtype=np.uint8)


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else (b if pb <= pc else c)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(image: np.ndarray) -> bytes:
    """Row y uses filter y % 5, so every filter type is exercised."""
    height, width, channels = image.shape
    raw, previous = b"", np.zeros(width * channels, int)
    for y in range(height):
        kind, line, encoded = y % 5, image[y].reshape(-1).astype(int), []
        for x in range(line.size):
            a = line[x - channels] if x >= channels else 0
            b, c = previous[x], previous[x - channels] if x >= channels else 0
            encoded.append((line[x] - [0, a, b, (a + b) // 2, _paeth(a, b, c)][kind]) & 0xFF)
        raw += bytes([kind] + encoded)
        previous = line
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw)) \
        + _chunk(b"IEND", b"")


def encode_bmp(image: np.ndarray) -> bytes:
    height, width, _ = image.shape
    stride = (width * 3 + 3) // 4 * 4
    rows = b"".join(image[y, :, ::-1].tobytes().ljust(stride, b"\0") for y in range(height - 1,
                                                                                     -1, -1))
    header = struct.pack("<2sIHHI", b"BM", 54 + len(rows), 0, 0, 54)
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(rows), 0, 0, 0, 0)
    return header + info + rows


def encode_pnm(image: np.ndarray) -> bytes:
    height, width, _ = image.shape
    return f"P6\n# comment\n{width} {height}\n255\n".encode() + image.tobytes()


@pytest.mark.parametrize("encode", [encode_png, encode_bmp, encode_pnm])
def test_decoders_recover_the_pixels(encode):
    np.testing.assert_array_equal(decode_image(encode(IMAGE)), IMAGE)


def decoder_model(pixel_format: str):
    node = helper.make_node("ImageDecoder", ["data"], ["image"], pixel_format=pixel_format)
    graph = helper.make_graph([node], "decode",
                              [helper.make_tensor_value_info("data", TensorProto.UINT8, [None])],
                              [helper.make_tensor_value_info("image", TensorProto.UINT8,
                                                             [None, None, None])])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20)])


def test_pixel_formats():
    data = np.frombuffer(encode_png(IMAGE), np.uint8)
    rgb = vinify.compile_model(read_onnx_model(decoder_model("RGB")), "TEMPLATE")([data])[0]
    bgr = vinify.compile_model(read_onnx_model(decoder_model("BGR")), "TEMPLATE")([data])[0]
    gray = vinify.compile_model(read_onnx_model(decoder_model("Grayscale")), "TEMPLATE")([data])[0]
    np.testing.assert_array_equal(rgb, IMAGE)
    np.testing.assert_array_equal(bgr, IMAGE[:, :, ::-1])
    assert gray.shape == (5, 4, 1)
    expected = np.round(IMAGE @ np.array([0.299, 0.587, 0.114])).astype(np.uint8)
    np.testing.assert_array_equal(gray[:, :, 0], expected)


def test_unsupported_format_is_a_typed_error():
    compiled = vinify.compile_model(read_onnx_model(decoder_model("RGB")), "TEMPLATE")
    with pytest.raises(InferenceError, match="ImageDecoder.*unsupported image format"):
        compiled([np.frombuffer(b"\xff\xd8\xff\xe0 not really a jpeg", np.uint8)])
    with pytest.raises(InferenceError, match="ImageDecoder.*malformed image"):
        compiled([np.frombuffer(encode_png(IMAGE)[:40], np.uint8)])
