"""The seed case as two outlets' sites: Le Monde's page and Meguetan Infos' repost."""

from __future__ import annotations

from html import escape
from pathlib import Path

SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_c9d120b701e408d8.txt"
BUNDLED_SEED = (
    Path(__file__).resolve().parents[2]
    / "ingestd"
    / "demo"
    / "data"
    / "seed"
    / "000_c9d120b701e408d8.txt"
)


def seed_lines() -> list[str]:
    """Title, site name, paragraphs..., attribution line."""
    path = SEED if SEED.exists() else BUNDLED_SEED
    return [line for line in path.read_text("utf-8").splitlines() if line.strip()]


def lemonde_page(base: str) -> bytes:
    """Le Monde's own article: its template, no attribution line."""
    lines = seed_lines()
    title, paragraphs = lines[0], lines[2:-1]
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>{escape(title)}</title>
<link rel="canonical" href="https://www.lemonde.fr/international/article/2022/01/12/otan-russie.html">
<meta property="og:site_name" content="Le Monde">
<meta property="og:title" content="{escape(title)}">
<meta property="article:published_time" content="2022-01-12T19:45:00+01:00">
</head><body>
<header><nav><a href="/">Le Monde</a> <a href="/international/">International</a>
<a href="/politique/">Politique</a> <a href="/economie/">Économie</a></nav></header>
<main><article><h1>{escape(title)}</h1>
<p class="author">Par Jean-Pierre Stroobants et Benoît Vitkine</p>
{body}
</article>
<aside><h2>Les plus lus</h2><ul><li><a href="/a">Un autre article très lu</a></li></ul></aside>
</main>
<footer><p>Le Monde — Services et abonnements. Mentions légales. Cookies.</p></footer>
</body></html>""".encode()


def meguetan_page(base: str) -> bytes:
    """Meguetan Infos' repost, exactly as in the seed, ending with 'lemonde.fr'."""
    lines = seed_lines()
    title, paragraphs = lines[0], lines[2:]
    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">
<title>{escape(title)} - Meguetan Infos</title>
<link rel="canonical" href="https://meguetaninfos.com/2022/01/13/la-russie-et-lotan/">
<meta property="og:site_name" content="Meguetan Infos">
<meta property="article:published_time" content="2022-01-13T08:10:00+00:00">
</head><body>
<div id="top"><a href="/">Meguetan Infos</a> | Actualité | Politique | Sport | Contact</div>
<div class="content"><div class="post"><h1 class="entry-title">{escape(title)}</h1>
<div class="entry-content">{body}</div></div>
<div class="sidebar"><h3>Articles récents</h3><ul><li>Mali : la transition</li></ul></div>
</div>
<div id="footer">Copyright 2022 Meguetan Infos - Tous droits réservés</div>
</body></html>""".encode()


def rss(base: str, title: str, items: list[tuple[str, str, str]]) -> bytes:
    """An RSS 2.0 feed of (title, link path, pubDate) items."""
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>{base}{path}</link>"
        f"<guid>{base}{path}</guid><pubDate>{date}</pubDate></item>"
        for t, path, date in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>{base}/</link><description>x</description>"
        f"{entries}</channel></rss>"
    ).encode()
