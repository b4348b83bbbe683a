"""SVG to PNG for legonn's own gnuplot drawing, through Pillow (the ``image`` extra): draws the few SVG
elements ``legonn.optim.svgplot`` writes (rect, line, polyline, a path of M/h/v strokes, text, with
``translate``/``rotate(-90)`` for the y label), not SVG in general."""
import re
import xml.etree.ElementTree as ET

from ..extras import optional_module

_NS = '{http://www.w3.org/2000/svg}'


def _pil(module):
    """``PIL.<module>``, or the ImportError saying to install the ``image`` extra."""
    return optional_module(f'PIL.{module}', 'image', 'pillow', 'gnuplot', 'draws PNG figures')


def _colour(value, opacity=1.0):
    if value in (None, 'none'):
        return None
    image_colour = _pil('ImageColor')
    rgb = image_colour.getrgb(value)[:3]
    # an opacity over the white background
    return tuple(int(round(c * opacity + 255 * (1 - opacity))) for c in rgb)


def _text(image, draw, el, font):
    text = el.text or ''
    if not text:
        return
    width = draw.textlength(text, font=font)
    anchor = el.get('text-anchor', 'start')
    shift = {'start': 0, 'middle': width / 2, 'end': width}[anchor]
    transform = el.get('transform', '')
    if 'rotate(-90)' in transform:
        tx, ty = (float(v) for v in re.search(r'translate\(([-\d.]+) ([-\d.]+)\)', transform).groups())
        image_module = _pil('Image')
        draw_module = _pil('ImageDraw')
        label = image_module.new('RGBA', (int(width) + 2, 16), (255, 255, 255, 0))
        draw_module.Draw(label).text((1, 2), text, fill=(0, 0, 0, 255), font=font)
        label = label.rotate(90, expand=True)
        image.paste(label, (int(tx - 12), int(ty - label.height / 2)), label)
        return
    draw.text((float(el.get('x')) - shift, float(el.get('y')) - 10), text, fill=(0, 0, 0), font=font)


def svg_to_png(text, fname):
    """Draw the svgplot SVG ``text`` into the PNG file ``fname`` (its width x height in pixels)."""
    image_module = _pil('Image')
    draw_module = _pil('ImageDraw')
    font_module = _pil('ImageFont')
    root = ET.fromstring(text)
    image = image_module.new('RGB', (int(root.get('width')), int(root.get('height'))), 'white')
    draw = draw_module.Draw(image)
    font = font_module.load_default()
    for el in root.iter():
        tag = el.tag.replace(_NS, '')
        stroke = _colour(el.get('stroke'), float(el.get('stroke-opacity', 1)))
        width = max(1, int(round(float(el.get('stroke-width', 1)))))
        if tag == 'rect':
            x, y = float(el.get('x', 0)), float(el.get('y', 0))
            box = [x, y, x + float(el.get('width')), y + float(el.get('height'))]
            draw.rectangle(box, fill=_colour(el.get('fill', 'black')), outline=stroke)
        elif tag == 'line':
            draw.line([float(el.get(k)) for k in ('x1', 'y1', 'x2', 'y2')], fill=stroke, width=width)
        elif tag == 'polyline':
            points = [tuple(map(float, p.split(','))) for p in el.get('points').split()]
            if len(points) > 1:
                draw.line(points, fill=stroke, width=width, joint='curve')
        elif tag == 'path':
            for x, y, kind, length in re.findall(r'M([-\d.]+),([-\d.]+)([hv])([-\d.]+)', el.get('d')):
                x, y, length = float(x), float(y), float(length)
                end = (x + length, y) if kind == 'h' else (x, y + length)
                draw.line([(x, y), end], fill=stroke, width=1)
        elif tag == 'text':
            _text(image, draw, el, font)
    image.save(fname, format='PNG')
