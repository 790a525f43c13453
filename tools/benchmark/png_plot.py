"""A latency histogram as a PNG, written with zlib alone (no plotting library needed).

The picture: a white canvas, black axes, one blue bar per bin with height proportional to its
count, the tallest bar's count at the top of the y axis, and the first and last bin edges (ms)
under the x axis, in a 3x5 pixel digit font. The PNG is 8-bit RGB, one IDAT chunk, filter
type 0 on every row.
"""

import struct
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

WIDTH, HEIGHT, MARGIN = 640, 360, 40
BAR = (52, 101, 164)
AXIS = (0, 0, 0)
DIGITS = {  # 3x5 glyphs, rows top to bottom, 3 bits per row
    "0": (7, 5, 5, 5, 7), "1": (2, 6, 2, 2, 7), "2": (7, 1, 7, 4, 7), "3": (7, 1, 7, 1, 7),
    "4": (5, 5, 7, 1, 1), "5": (7, 4, 7, 1, 7), "6": (7, 4, 7, 5, 7), "7": (7, 1, 1, 1, 1),
    "8": (7, 5, 7, 5, 7), "9": (7, 5, 7, 1, 7), ".": (0, 0, 0, 0, 2),
}


def png_bytes(image: np.ndarray) -> bytes:
    """An (H, W, 3) uint8 image encoded as PNG."""
    height, width, _ = image.shape
    rows = np.concatenate([np.zeros((height, 1), np.uint8), image.reshape(height, -1)], axis=1)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(rows.tobytes(), 9)) + _chunk(b"IEND", b""))


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def histogram_image(counts: Sequence[int], edges_ms: Sequence[float]) -> np.ndarray:
    image = np.full((HEIGHT, WIDTH, 3), 255, np.uint8)
    plot_height, plot_width = HEIGHT - 2 * MARGIN, WIDTH - 2 * MARGIN
    top = max(max(counts, default=0), 1)
    bin_width = plot_width // max(len(counts), 1)
    for index, count in enumerate(counts):
        height = int(round(count / top * plot_height))
        left = MARGIN + index * bin_width
        image[HEIGHT - MARGIN - height:HEIGHT - MARGIN, left + 1:left + bin_width - 1] = BAR
    image[HEIGHT - MARGIN, MARGIN - 5:WIDTH - MARGIN + 5] = AXIS
    image[MARGIN - 5:HEIGHT - MARGIN + 1, MARGIN] = AXIS
    _text(image, str(top), 4, MARGIN - 4)
    if edges_ms:
        _text(image, f"{edges_ms[0]:.2f}", MARGIN, HEIGHT - MARGIN + 8)
        _text(image, f"{edges_ms[-1]:.2f}", MARGIN + len(counts) * bin_width - 30,
              HEIGHT - MARGIN + 8)
    return image


def _text(image: np.ndarray, text: str, x: int, y: int, scale: int = 2) -> None:
    for position, character in enumerate(text):
        for row, bits in enumerate(DIGITS.get(character, (0,) * 5)):
            for column in range(3):
                if bits & (4 >> column):
                    left = x + (position * 4 + column) * scale
                    image[y + row * scale:y + (row + 1) * scale, left:left + scale] = AXIS


def write_histogram_png(path: str | Path, counts: Sequence[int],
                        edges_ms: Sequence[float]) -> None:
    from vinify.runtime.model_cache import write_atomically

    write_atomically(Path(path), png_bytes(histogram_image(counts, edges_ms)))
