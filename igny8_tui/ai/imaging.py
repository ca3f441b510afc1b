"""PNG images for the local provider: seeded gradient and shapes, with the prompt as caption."""

from __future__ import annotations

import colorsys
import hashlib
import io
import random

from PIL import Image, ImageDraw, ImageFont

from igny8_tui.ai.outputs import ImageKind

IMAGE_SIZES: dict[ImageKind, tuple[int, int]] = {
    "featured": (1200, 675),
    "in_article": (800, 450),
}
CAPTION_WORDS = 8
CAPTION_FONT_SHARE = 0.045
SHAPE_COUNT_RANGE = (3, 6)
PNG_COMPRESS_LEVEL = 1

Colour = tuple[int, int, int]


def _colour(rng: random.Random, hue: float, lightness: float) -> Colour:
    red, green, blue = colorsys.hls_to_rgb(hue % 1.0, lightness, rng.uniform(0.35, 0.65))
    return round(red * 255), round(green * 255), round(blue * 255)


def _gradient(rng: random.Random, size: tuple[int, int]) -> Image.Image:
    hue = rng.random()
    top = _colour(rng, hue, rng.uniform(0.6, 0.75))
    bottom = _colour(rng, hue + rng.uniform(0.08, 0.25), rng.uniform(0.3, 0.45))
    # A one-pixel column stretched sideways: as smooth as a full resize, far cheaper.
    column = Image.linear_gradient("L").resize((1, size[1]), Image.Resampling.BILINEAR)
    mask = column.resize(size, Image.Resampling.NEAREST)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def _shapes(draw: ImageDraw.ImageDraw, rng: random.Random, size: tuple[int, int]) -> None:
    width, height = size
    for _ in range(rng.randint(*SHAPE_COUNT_RANGE)):
        radius = rng.randint(height // 10, height // 3)
        x, y = rng.randint(0, width), rng.randint(0, height)
        box = (x - radius, y - radius, x + radius, y + radius)
        fill = _colour(rng, rng.random(), rng.uniform(0.45, 0.8))
        if rng.random() < 0.5:
            draw.ellipse(box, fill=fill)
        else:
            draw.rounded_rectangle(box, radius=radius // 4, fill=fill)


def caption_for(prompt: str) -> str:
    """The prompt's first words, without quotes, as the image's caption."""
    words = prompt.replace("\u201c", "").replace("\u201d", "").replace('"', "").split()
    caption = " ".join(words[:CAPTION_WORDS]).rstrip(",;:")
    return caption + ("..." if len(words) > CAPTION_WORDS else "")


def _caption(draw: ImageDraw.ImageDraw, text: str, size: tuple[int, int]) -> None:
    width, height = size
    font = ImageFont.load_default(size=max(12, round(height * CAPTION_FONT_SHARE)))
    band = round(height * 0.16)
    draw.rectangle((0, height - band, width, height), fill=(20, 24, 28))
    margin = round(width * 0.03)
    while text and draw.textlength(text, font=font) > width - 2 * margin:
        text = text.rsplit(" ", 1)[0] if " " in text else text[:-1]
    draw.text((margin, height - band / 2), text, font=font, fill=(245, 245, 240), anchor="lm")


def render_png(prompt: str, size: tuple[int, int]) -> bytes:
    """A PNG of `size` drawn deterministically from the prompt text."""
    seed = int.from_bytes(hashlib.sha256(prompt.encode()).digest()[:8], "big")
    rng = random.Random(seed)
    image = _gradient(rng, size)
    draw = ImageDraw.Draw(image)
    _shapes(draw, rng, size)
    _caption(draw, caption_for(prompt), size)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()
