"""A generated ZAKER-style site of any size, for crawl benchmarks and the distributed-crawl
test: a home page linking channel lists of ``PER_LIST`` articles (``window.WinPageData``),
each article about 3 KB of random Chinese text with an image box, as the real pages are
built. Same seed, same site."""

from __future__ import annotations

import json
import random
from pathlib import Path

PER_LIST = 100
HANZI = "".join(map(chr, range(0x4E00, 0x4E00 + 3000)))  # common CJK block


def _text(rng: random.Random, chars: int) -> str:
    return "".join(rng.choice(HANZI) for _ in range(chars))


def build_site(root: Path, articles: int) -> None:
    """Write the site under ``root/zaker`` (and a ``root/robots.txt``)."""
    rng = random.Random(20210806)
    site = root / "zaker"
    site.mkdir(parents=True)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n", encoding="utf-8")
    lists = (articles + PER_LIST - 1) // PER_LIST
    home = "".join(f'<a href="//www.myzaker.com/channel/{n}">频道{n}</a>' for n in range(lists))
    (site / "index.html").write_text(
        f'<html><head><meta charset="utf-8"><title>ZAKER</title></head><body>{home}</body></html>',
        encoding="utf-8",
    )
    for n in range(lists):
        entries = []
        for k in range(n * PER_LIST, min(articles, (n + 1) * PER_LIST)):
            ident = f"{k:024x}"
            title = _text(rng, 16)
            entries.append(
                {
                    "title": title,
                    "url": f"//www.myzaker.com/article/{ident}",
                    "author_name": "新京报",
                    "date": "08月06日",
                    "tag": [{"tag": "测试"}],
                    "thumbnail_mpic": f"//zkres1.myzaker.com/{ident}.jpg",
                }
            )
            paragraphs = "".join(f"<p>{_text(rng, 120)}</p>" for _ in range(8))
            image = (
                '<div class="img_box"><div class="content_img_div"><img class="lazy" '
                f'data-original="http://zkres1.myzaker.com/{ident}_0.jpg" data-width="800" '
                'data-height="600"></div></div>'
            )
            page = (
                f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>'
                f'<div class="article_header"><h1>{title}</h1><div class="article_tips">'
                '<a class="article-auther">新京报</a><span class="time">3小时前</span></div></div>'
                f'<div class="article_content"><div id="content">{paragraphs[:600]}{image}'
                f'{paragraphs[600:]}</div></div><div class="lebel-list"><a>测试</a></div>'
                "</body></html>"
            )
            path = site / "article" / ident / "index.html"
            path.parent.mkdir(parents=True)
            path.write_text(page, encoding="utf-8")
        data = json.dumps({"data": {"article": entries}}, ensure_ascii=False)
        path = site / "channel" / str(n) / "index.html"
        path.parent.mkdir(parents=True)
        path.write_text(
            f'<html><head><meta charset="utf-8"><title>频道{n}</title></head><body><h1>频道{n}'
            f"</h1><script>window.WinPageData = {data};</script></body></html>",
            encoding="utf-8",
        )
