"""Internal op (domain "vinify") for ONNX ImageDecoder: decodes the uncompressed and
zlib-compressed formats the standard library can read (BMP, binary PNM, 8-bit PNG) into
[H, W, C] u8. JPEG, JPEG 2000, TIFF and WebP need an image codec vinify does not carry; they are
refused with an InferenceError at run time."""

import struct
import zlib

import numpy as np
from vinify.op import Attr, InferContext, Op, register
from vinify.shapes import DYNAMIC, PartialShape, TensorType
from vinify.types import u8


class ImageFormatError(ValueError):
    pass


def _decode_bmp(data: bytes) -> np.ndarray:
    offset = struct.unpack_from("<I", data, 10)[0]
    width, height, _, bits, compression = struct.unpack_from("<iiHHI", data, 18)
    if bits not in (24, 32) or compression not in (0, 3):
        raise ImageFormatError(f"BMP with {bits} bits per pixel / compression {compression}")
    channels = bits // 8
    stride = (width * channels + 3) // 4 * 4
    rows = abs(height)
    if offset + stride * rows > len(data):
        raise ImageFormatError("BMP pixel data is truncated")
    pixels = np.frombuffer(data, np.uint8, stride * rows, offset).reshape(rows, stride)
    image = pixels[:, :width * channels].reshape(rows, width, channels)[:, :, 2::-1]  # BGR
    return image[::-1] if height > 0 else image  # positive height: stored bottom-up


def _pnm_tokens(data: bytes, count: int) -> tuple[list[int], int]:
    tokens, position = [], 2
    while len(tokens) < count:
        while position < len(data) and data[position:position + 1].isspace():
            position += 1
        if data[position:position + 1] == b"#":
            position = data.index(b"\n", position) + 1
            continue
        start = position
        while position < len(data) and not data[position:position + 1].isspace():
            position += 1
        tokens.append(int(data[start:position]))
    return tokens, position + 1


def _decode_pnm(data: bytes) -> np.ndarray:
    channels = {b"P6": 3, b"P5": 1}.get(data[:2])
    if channels is None:
        raise ImageFormatError(f"PNM variant {data[:2]!r} (only binary P5/P6)")
    (width, height, maximum), start = _pnm_tokens(data, 3)
    if maximum > 255:
        raise ImageFormatError("16-bit PNM")
    pixels = np.frombuffer(data, np.uint8, width * height * channels, start)
    return pixels.reshape(height, width, channels)


def _png_chunks(data: bytes):
    position = 8
    while position + 8 <= len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        yield kind, data[position + 8:position + 8 + length]
        position += 12 + length


def _unfilter(raw: bytes, height: int, width: int, channels: int) -> np.ndarray:
    """PNG scanlines with their filters undone (none, sub and up vectorized; average and Paeth
    byte by byte, as each byte depends on the one decoded before it)."""
    stride = width * channels
    rows = np.frombuffer(raw, np.uint8).reshape(height, stride + 1)
    image = np.zeros((height, stride), np.int32)
    previous = np.zeros(stride, np.int32)
    for y in range(height):
        kind, line = rows[y, 0], rows[y, 1:].astype(np.int32)
        if kind == 0:
            current = line
        elif kind == 1:
            current = np.cumsum(line.reshape(width, channels), axis=0).reshape(-1) & 0xFF
        elif kind == 2:
            current = (line + previous) & 0xFF
        else:
            current = _unfilter_sequential(kind, line, previous, channels)
        image[y], previous = current, current
    return image.astype(np.uint8).reshape(height, width, channels)


def _unfilter_sequential(kind: int, line: np.ndarray, previous: np.ndarray,
                         channels: int) -> np.ndarray:
    current = np.zeros(line.shape, np.int32)
    for x in range(line.size):
        left = current[x - channels] if x >= channels else 0
        up, corner = previous[x], previous[x - channels] if x >= channels else 0
        predictor = (left + up) // 2 if kind == 3 else _paeth(left, up, corner)
        current[x] = (line[x] + predictor) & 0xFF
    return current


def _paeth(left: int, up: int, corner: int) -> int:
    estimate = left + up - corner
    distances = (abs(estimate - left), abs(estimate - up), abs(estimate - corner))
    return (left, up, corner)[distances.index(min(distances))]


def _decode_png(data: bytes) -> np.ndarray:
    chunks = list(_png_chunks(data))
    header = dict(chunks).get(b"IHDR")
    if header is None:
        raise ImageFormatError("PNG without IHDR")
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", header)
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        raise ImageFormatError(f"PNG depth {depth}, color type {color}, interlace {interlace}")
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    image = _unfilter(raw, height, width, channels)
    return image[:, :, :3] if channels >= 3 else image[:, :, :1]


def decode_image(data: bytes) -> np.ndarray:
    """[H, W, 3] RGB or [H, W, 1] gray u8 pixels of an encoded image."""
    if data[:2] == b"BM":
        return _decode_bmp(data)
    if data[:2] in (b"P5", b"P6"):
        return _decode_pnm(data)
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return _decode_png(data)
    raise ImageFormatError("unsupported image format (BMP, binary PNM and PNG are decoded)")


@register
class ImageDecoder(Op):
    name, version, domain = "ImageDecoder", 1, "vinify"
    attributes = (Attr("pixel_format", "str", "RGB", ("RGB", "BGR", "Grayscale")),)

    @classmethod
    def infer(cls, ctx: InferContext) -> list[TensorType]:
        channels = PartialShape.of([1 if ctx.attrs["pixel_format"] == "Grayscale" else 3])
        return [TensorType(u8, PartialShape((DYNAMIC, DYNAMIC) + channels.dims))]

    @classmethod
    def evaluate(cls, attrs: dict, encoded: np.ndarray) -> np.ndarray:
        try:
            image = decode_image(np.ascontiguousarray(encoded, np.uint8).tobytes())
        except (struct.error, zlib.error, IndexError) as error:
            raise ImageFormatError(f"malformed image: {error}") from None
        if attrs["pixel_format"] == "Grayscale":
            if image.shape[2] == 1:
                return image
            weights = np.array([0.299, 0.587, 0.114])
            return np.round(image @ weights).astype(np.uint8)[:, :, None]
        if image.shape[2] == 1:
            image = np.repeat(image, 3, axis=2)
        return image[:, :, ::-1] if attrs["pixel_format"] == "BGR" else image
