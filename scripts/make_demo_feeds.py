"""Generate the bundled demo sources (pipelines/demo_data/): seeded, deterministic.

    python scripts/make_demo_feeds.py [--out pipelines/demo_data] [--seed 20261122]

Writes nine feeds (Polish, Vietnamese, Chinese and English blogs and forums, as RSS 2.0,
Atom and RSS 1.0/RDF) with about 550 posts by players and parents about video games and
gaming gear, spread over the ten ISO weeks ending on Sunday 2026-11-22, plus
``feeds.json`` (the manifest ``trendscout demo`` builds its sources.yml from),
``robots.txt``, ``index.html`` and ``README.md`` (the answer key: what is planted where,
with the exact counts this run produced).

Planted for the analysis to find: an emerging topic in the last week (the Harvest Hollow
co-op farming update), a fading one (the Mech Rivals open beta), steady background
topics, an audience shift towards girls and women around the watched game Starfall
Arena (with Iron Legion as a control whose audience stays the same), a one-account
spam burst, near-duplicate syndicated copies, two entries without a date and one post
that quotes ``<script>alert(1)</script>`` as text.

Sentences are written per language (not translated word for word). Markers resolved per
post: ``[[f|m]]`` agrees with the author's gender, ``<<f|m>>`` with the child a parent
writes about, ``{slot}`` is filled from the language's slot values, and a leading
``@tag`` limits a sentence to some authors (``@player``, ``@parent``, ``@teen``,
``@adult``, ``@adult30``, ``@adult40``, ``@regular`` = not one
of the players who only arrive in the recent week).
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import math
import random
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

SEED = 20261122
AS_OF = dt.date(2026, 11, 22)  # a Sunday: the recent window is Mon 16 - Sun 22 November
WEEKS = 10
FIRST_MONDAY = AS_OF - dt.timedelta(days=7 * WEEKS - 1)  # 2026-09-14
RECENT = WEEKS - 1  # index of the recent week
LANGS = ("pl", "vi", "zh", "en")

# Posts per week (index 0 = 14-20 Sep 2026, 9 = 16-22 Nov 2026), all languages together.
SCHEDULE: dict[str, list[int]] = {
    "gear": [8, 8, 9, 8, 8, 9, 8, 8, 9, 8],
    "pc": [5, 5, 5, 5, 5, 5, 5, 5, 5, 5],
    "parenting": [7, 7, 6, 7, 7, 7, 6, 7, 7, 7],
    "deals": [5, 5, 5, 5, 6, 5, 5, 5, 5, 5],
    "starfall": [11, 10, 11, 11, 10, 11, 11, 10, 11, 26],
    "iron": [14, 13, 14, 14, 13, 14, 14, 13, 14, 14],
    "mech": [14, 15, 14, 13, 12, 10, 7, 4, 1, 0],
    "harvest": [0, 0, 0, 0, 0, 0, 0, 1, 3, 32],
}
TOPIC_LABELS = {
    "gear": "gaming gear: controllers, stick drift, headsets, keyboards, mice",
    "pc": "PC building and upgrades: graphics cards, drivers, RAM, cooling",
    "parenting": "parents on screen time, parental controls, age ratings, in-game spending",
    "deals": "game prices, sales, subscriptions and budgets",
    "starfall": "Starfall Arena, a team hero-arena game (watched; audience shift)",
    "iron": "Iron Legion, a squad shooter (watched; control, stable audience)",
    "mech": "Mech Rivals open beta (watched; fading)",
    "harvest": "Harvest Hollow co-op farming update (watched; emerging)",
}
# Who writes about each topic: shares of female players, male players, parents of a
# daughter, parents of a son. The recent week of Starfall Arena is the planted shift.
AUDIENCE: dict[str, tuple[float, float, float, float]] = {
    "gear": (0.30, 0.70, 0.0, 0.0),
    "pc": (0.22, 0.78, 0.0, 0.0),
    "parenting": (0.0, 0.0, 0.5, 0.5),
    "deals": (0.32, 0.68, 0.0, 0.0),
    "starfall": (0.06, 0.74, 0.03, 0.17),
    "starfall_recent": (0.62, 0.18, 0.16, 0.04),
    "iron": (0.35, 0.50, 0.05, 0.10),
    "mech": (0.15, 0.85, 0.0, 0.0),
    "harvest": (0.36, 0.30, 0.18, 0.16),
}
# Chance that a player's post says who they are (gender); parents always name the child.
DISCLOSE = {
    "gear": 0.3,
    "pc": 0.2,
    "deals": 0.25,
    "starfall": 0.55,
    "starfall_recent": 0.9,
    "iron": 0.7,
    "mech": 0.25,
    "harvest": 0.3,
}
# Chance that a post of this topic goes to the language's blog rather than its forum.
BLOG_SHARE = {
    "gear": 0.45,
    "pc": 0.5,
    "deals": 0.5,
    "parenting": 0.35,
    "starfall": 0.15,
    "iron": 0.15,
    "mech": 0.2,
    "harvest": 0.12,
}
GAME_TOPICS = ("starfall", "iron", "mech", "harvest")

WATCH = [
    {"name": "Starfall Arena", "aliases": ["星落竞技场", "Gwiezdna Arena", "Đấu Trường Tinh Tú"]},
    {"name": "Iron Legion", "aliases": ["钢铁军团", "Żelazny Legion", "Quân Đoàn Thép"]},
    {"name": "Harvest Hollow", "aliases": ["丰收谷"]},
    {"name": "Mech Rivals", "aliases": ["机甲对决"]},
]

# --------------------------------------------------------------------------------------
# Feeds
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedSpec:
    key: str
    name: str
    lang: str
    kind: str  # blog | forum | aggregator
    format: str  # rss2 | atom | rdf
    path: str  # under demo_data/
    site: str  # path prefix of the site's pages
    title: str
    description: str
    full_content: bool  # content:encoded / atom:content with the full text


FEEDS = [
    FeedSpec(
        "pl_blog",
        "Pixel i Pad",
        "pl",
        "blog",
        "rss2",
        "pl/pixel-i-pad/feed.xml",
        "/pl/pixel-i-pad/",
        "Pixel i Pad",
        "Blog o grach, sprzęcie i graniu w rodzinie",
        True,
    ),
    FeedSpec(
        "pl_forum",
        "Forum Graczy",
        "pl",
        "forum",
        "rdf",
        "pl/forum-graczy/rss.rdf",
        "/pl/forum-graczy/",
        "Forum Graczy — dział ogólny",
        "Najnowsze posty na Forum Graczy",
        False,
    ),
    FeedSpec(
        "vi_blog",
        "Góc Game Thủ",
        "vi",
        "blog",
        "atom",
        "vi/goc-game-thu/atom.xml",
        "/vi/goc-game-thu/",
        "Góc Game Thủ",
        "Tin tức, đánh giá và tâm sự của cộng đồng game thủ",
        True,
    ),
    FeedSpec(
        "vi_forum",
        "Diễn đàn Game Việt",
        "vi",
        "forum",
        "rss2",
        "vi/dien-dan/rss.xml",
        "/vi/dien-dan/",
        "Diễn đàn Game Việt — Thảo luận chung",
        "Bài viết mới trên Diễn đàn Game Việt",
        False,
    ),
    FeedSpec(
        "zh_blog",
        "游戏茶话会",
        "zh",
        "blog",
        "rss2",
        "zh/youxi-chahua/feed.xml",
        "/zh/youxi-chahua/",
        "游戏茶话会",
        "聊游戏、聊装备、聊带娃打游戏",
        True,
    ),
    FeedSpec(
        "zh_forum",
        "玩家论坛",
        "zh",
        "forum",
        "atom",
        "zh/wanjia-luntan/atom.xml",
        "/zh/wanjia-luntan/",
        "玩家论坛 · 综合讨论区",
        "玩家论坛最新帖子",
        True,
    ),
    FeedSpec(
        "en_blog",
        "Controller Corner",
        "en",
        "blog",
        "rss2",
        "en/controller-corner/feed.xml",
        "/en/controller-corner/",
        "Controller Corner",
        "Gear reviews, game news and family gaming",
        True,
    ),
    FeedSpec(
        "en_forum",
        "Parents Who Game",
        "en",
        "forum",
        "atom",
        "en/parents-who-game/forum.atom",
        "/en/parents-who-game/",
        "Parents Who Game — Community Forum",
        "Latest posts from the community",
        True,
    ),
    FeedSpec(
        "en_wire",
        "GameWire Digest",
        "en",
        "aggregator",
        "rdf",
        "en/gamewire/index.rdf",
        "/en/gamewire/",
        "GameWire Digest",
        "Gaming stories from around the web, updated daily",
        False,
    ),
]
FEED_BY_KEY = {f.key: f for f in FEEDS}

# --------------------------------------------------------------------------------------
# Authors
# --------------------------------------------------------------------------------------


@dataclass
class Author:
    handle: str
    lang: str
    feed: str
    gender: str  # f | m
    kind: str  # player | parent | editor | mod | spam
    age: str  # teen | adult30 | adult40
    own_age: int = 0
    child: str = ""  # f | m: the child a parent (or parent-editor) writes about
    child_age: int = 0
    weight: float = 1.0
    recent_only: bool = False

    @property
    def is_parent(self) -> bool:
        return bool(self.child)


# handle, gender, kind, child (parents and parent-editors)
EDITORS = {
    "pl": [
        ("Anna Kowalska", "f", "f"),
        ("Tomasz Wiśniewski", "m", "m"),
        ("Karolina Zielińska", "f", ""),
        ("Michał Dąbrowski", "m", ""),
    ],
    "vi": [
        ("Nguyễn Thu Trang", "f", "f"),
        ("Trần Quốc Bảo", "m", "m"),
        ("Phạm Ngọc Hân", "f", ""),
        ("Lê Minh Khoa", "m", ""),
    ],
    "zh": [("林小雨", "f", "f"), ("张伟", "m", "m"), ("王晓雯", "f", ""), ("陈思远", "m", "")],
    "en": [
        ("Jess Thornton", "f", "f"),
        ("Marcus Reid", "m", "m"),
        ("Priya Nair", "f", ""),
        ("Dan Kowalczyk", "m", ""),
    ],
}
FORUM_FEMALE = {
    "pl": [
        "kasia_gra",
        "Ola_z_Krakowa",
        "martynka99",
        "Zuzia_Heals",
        "agnieszka.k",
        "pola_pixel",
        "Natalia W.",
        "wiki_gra",
        "Magda_Support",
        "julka2010",
    ],
    "vi": [
        "Minh Anh",
        "bé Na",
        "Linh Chi",
        "Thảo Vy",
        "ngoc_han99",
        "Mai Phương",
        "Khánh Linh",
        "Bảo Ngọc",
        "trang_support",
        "Huyền My",
    ],
    "zh": [
        "糖糖爱玩",
        "小鹿乱撞",
        "月半猫",
        "橘子汽水",
        "晴天娃娃",
        "奶茶不加糖",
        "兔兔奶辅",
        "苏苏",
        "一颗草莓",
        "小雪",
    ],
    "en": [
        "kaylee_plays",
        "pixel_princess",
        "Sarah M.",
        "healbot_hannah",
        "emmyyy",
        "zoe_games",
        "Rachel T.",
        "lunarbunny",
        "megan_rpg",
        "abby.k",
    ],
}
FORUM_MALE = {
    "pl": [
        "tomek1987",
        "bartek_pad",
        "Kuba_Snajper",
        "Mateusz P.",
        "krzysiek_rpg",
        "piotrek_fps",
        "Adam Nowicki",
        "szymon.gra",
        "Wojtek_Tank",
        "Marcin_K",
        "lukasz_mech",
        "Filip2009",
        "damian_pro",
        "Grzegorz S.",
    ],
    "vi": [
        "Hoàng Long",
        "Tuấn Anh",
        "duc_manh_gamer",
        "Quang Huy",
        "Minh Đức",
        "Phúc_Tank",
        "Gia Bảo",
        "Hải Nam",
        "Văn Tùng",
        "khoa_pro",
        "Thành Đạt",
        "Đức Anh",
        "Việt Hoàng",
        "Trung Kiên",
    ],
    "zh": [
        "阿杰",
        "老王不在家",
        "狙神小李",
        "风之子",
        "铁拳阿强",
        "大熊",
        "夜猫子",
        "坦克老张",
        "小明同学",
        "浩然",
        "老司机",
        "飞翔的鱼",
        "子轩",
        "阿峰",
    ],
    "en": [
        "NightOwl42",
        "sam.k",
        "tank_daddy",
        "jake_fps",
        "Chris B.",
        "ben_plays",
        "DerekW",
        "mike_the_mech",
        "ryan2009",
        "tom_h",
        "alex_g",
        "CaptainCrunchy",
        "owen.plays",
        "Nate R.",
    ],
}
# handle, parent's gender, child's gender
FORUM_PARENTS = {
    "pl": [
        ("mama_Zosi", "f", "f"),
        ("Tata_Antka", "m", "m"),
        ("Ewa_mama_trojki", "f", "m"),
        ("Robert_tata", "m", "f"),
        ("Beata M.", "f", "f"),
        ("Jacek_ojciec_gracza", "m", "m"),
        ("Dorota_K", "f", "m"),
        ("Paweł_tata_Leny", "m", "f"),
    ],
    "vi": [
        ("mẹ Bống", "f", "f"),
        ("bố Tít", "m", "m"),
        ("Mẹ Cún", "f", "m"),
        ("Bố Na", "m", "f"),
        ("Chị Hương", "f", "f"),
        ("Anh Tuấn bố hai con", "m", "m"),
        ("Mẹ Su", "f", "m"),
        ("Bố Mây", "m", "f"),
    ],
    "zh": [
        ("游戏老爹", "m", "m"),
        ("朵朵妈", "f", "f"),
        ("乐乐爸", "m", "f"),
        ("豆豆妈妈", "f", "m"),
        ("甜甜妈", "f", "f"),
        ("皮皮爸", "m", "m"),
        ("果果妈", "f", "m"),
        ("小雨爸爸", "m", "f"),
    ],
    "en": [
        ("pixelmom", "f", "f"),
        ("dad_of_three", "m", "m"),
        ("Karen L.", "f", "m"),
        ("steve_dad", "m", "f"),
        ("Linda P.", "f", "f"),
        ("proud_gamer_dad", "m", "m"),
        ("momof2boys", "f", "m"),
        ("jen_and_lily", "f", "f"),
    ],
}
# Girls and women who only start posting in the recent week (they came with the new season).
FORUM_NEW_FEMALE = {
    "pl": [
        "Hania_gra",
        "ania.stars",
        "Weronika_L",
        "Lena_supportuje",
        "Maja_Aurora",
        "Oliwia_K",
        "zosia_gra",
    ],
    "vi": ["Như Quỳnh", "Tú Anh", "Yến Nhi", "Phương Thảo", "Hà My", "Diệu Linh", "Kim Ngân"],
    "zh": ["星星眨眼", "梦梦", "芝士奶盖", "小鱼儿", "桃子", "安安", "可可"],
    "en": [
        "stargazer_lily",
        "aurora_mains",
        "Chloe R.",
        "sophie.plays",
        "maddie_gg",
        "izzy_heals",
        "grace.w",
    ],
}
MODERATORS = {"pl": "Moderator_Ania", "en": "mod_team"}
SPAMMER = "GlowKeys_Official"


def build_authors(rng: random.Random) -> dict[str, list[Author]]:
    """Every author of every feed, with fixed attributes (gender, age, child)."""
    by_feed: dict[str, list[Author]] = defaultdict(list)

    def age_of(handle: str) -> tuple[str, int]:
        years = re.search(r"(19[89]\d|20[01]\d)$", handle)
        if years and int(years.group(1)) >= 2008:
            return "teen", 2026 - int(years.group(1))
        if years:
            return "adult30" if int(years.group(1)) >= 1986 else "adult40", 0
        roll = rng.random()
        if roll < 0.3:
            return "teen", rng.randint(13, 17)
        return ("adult30", 0) if roll < 0.8 else ("adult40", 0)

    for lang in LANGS:
        blog = f"{lang}_blog"
        forum = f"{lang}_forum"
        for handle, gender, child in EDITORS[lang]:
            by_feed[blog].append(
                Author(
                    handle,
                    lang,
                    blog,
                    gender,
                    "editor",
                    "adult30",
                    child=child,
                    child_age=rng.randint(7, 13) if child else 0,
                    weight=1.0,
                )
            )
        pools = [(FORUM_FEMALE[lang], "f"), (FORUM_MALE[lang], "m")]
        for handles, gender in pools:
            for rank, handle in enumerate(handles):
                age, own_age = age_of(handle)
                by_feed[forum].append(
                    Author(
                        handle,
                        lang,
                        forum,
                        gender,
                        "player",
                        age,
                        own_age=own_age,
                        weight=1.0 / (1 + rank) ** 0.7,
                    )
                )
        for rank, (handle, gender, child) in enumerate(FORUM_PARENTS[lang]):
            by_feed[forum].append(
                Author(
                    handle,
                    lang,
                    forum,
                    gender,
                    "parent",
                    rng.choice(["adult30", "adult40"]),
                    child=child,
                    child_age=rng.randint(7, 14),
                    weight=1.0 / (1 + rank) ** 0.5,
                )
            )
        for handle in FORUM_NEW_FEMALE[lang]:
            age, own_age = age_of(handle)
            by_feed[forum].append(
                Author(handle, lang, forum, "f", "player", age, own_age=own_age, recent_only=True)
            )
        if lang in MODERATORS:
            by_feed[forum].append(Author(MODERATORS[lang], lang, forum, "f", "mod", "adult30"))
    by_feed["en_forum"].append(Author(SPAMMER, "en", "en_forum", "m", "spam", "adult30"))
    by_feed["en_wire"].append(Author("GameWire staff", "en", "en_wire", "m", "editor", "adult30"))
    return by_feed


# --------------------------------------------------------------------------------------
# Phrase banks
# --------------------------------------------------------------------------------------

EN: dict[str, Any] = {
    "joiner": " ",
    "openers": [
        "Quick question for everyone.",
        "Long-time lurker, first post.",
        "Okay, a quick story.",
        "Hi all!",
        "Small update from our house.",
        "Not sure if this is the right subforum, but here goes.",
        "Hey folks!",
        "So this happened last night.",
        "Posting here because my friends are tired of hearing about it.",
    ],
    "closers": [
        "What do you all think?",
        "Any tips welcome!",
        "Curious if anyone else noticed this.",
        "Thanks in advance.",
        "Let me know if I'm missing something.",
        "Anyway, that's my two cents.",
        "Happy gaming!",
        "Would love to hear your experiences.",
        "Cheers.",
        "Am I the only one?",
    ],
    "female_game": [
        "As a girl who games, I finally feel like {game} wants me around.",
        "@regular I'm a girl and I've played {game} since the open beta, so I've seen "
        "every meta shift.",
        "@adult30 As a woman in my thirties who plays {game} after work, I love short matches.",
        "Speaking as a girl who mains support in {game}, the voice chat used to be rough.",
        "@teen Me and the other girls in my class all started {game} this month.",
    ],
    "female": [
        "As a girl who games, I care more about comfort than flashy RGB.",
        "@adult I'm a woman and I've been gaming since the PS2 days.",
        "As a girl who games on a budget, every discount matters to me.",
    ],
    "male_game": [
        "As a guy who has played {game} for two years, I can tell you this is normal.",
        "@adult I'm a grown man and {game} is my after-work routine.",
        "Speaking as a guy who solo queues in {game} a lot, matchmaking feels fine to me.",
    ],
    "male": [
        "As a guy who mostly games on weekends, I don't need anything fancy.",
        "@adult40 I'm a man in my forties, so take my opinion with a grain of salt.",
        "I'm a guy who plays a bit of everything.",
    ],
    "child_game": [
        "My <<daughter|son>> plays {game} every evening after homework.",
        "My <<daughter|son>> ({age}) plays {game} with <<her|his>> friends from school.",
        "My {age}-year-old <<daughter|son>> asked for {game} for <<her|his>> birthday.",
        "My <<daughter|son>> has been playing {game} since the summer.",
    ],
    "child": [
        "My <<daughter|son>> is {age} and games most days after school.",
        "My {age}-year-old <<daughter|son>> plays on a hand-me-down laptop.",
        "I have {a_age}-year-old <<daughter|son>> who would game all day if we let <<her|him>>.",
    ],
    "mom": [
        "As a mom of two, I try to keep an eye on what they play.",
        "As a mom who used to game a lot herself, I get the excitement.",
    ],
    "dad": [
        "As a dad, I try to know what my kids are playing.",
        "As a dad who has gamed for decades, I'm fairly relaxed about it.",
    ],
    "teen_age": [
        "I'm {own_age}, so my parents keep an eye on how long I play.",
        "I'm {own_age} and I buy games with my pocket money.",
    ],
    "adult_age": [
        "@adult30 I'm in my thirties and have gamed since I was a kid.",
        "@adult40 I'm in my forties and mostly play in the evenings.",
    ],
    "slots": {
        "controller": ["DualSense", "Xbox controller", "Switch Pro Controller", "8BitDo Ultimate"],
        "headset": ["HyperX Cloud II", "SteelSeries Arctis Nova", "Razer BlackShark"],
        "price_small": ["$50", "$60"],
        "price_big": ["$150", "$200"],
        "skin_price": ["$15", "$20"],
        "budget": ["$30", "$40"],
        "gpu": ["RTX 4060", "RX 7600", "RTX 5070", "Arc B580"],
        "store": ["Steam", "the PlayStation Store", "the eShop", "GOG"],
        "game_any": [
            "Hollow Knight",
            "It Takes Two",
            "Hades",
            "Celeste",
            "Portal 2",
            "Overcooked 2",
        ],
    },
    "games": {
        "starfall": [("Starfall Arena", 1.0)],
        "iron": [("Iron Legion", 1.0)],
        "mech": [("Mech Rivals", 1.0)],
        "harvest": [("Harvest Hollow", 1.0)],
    },
    "reply": "Re: {title}",
    "repost": ("{site}: {title}", "This article first appeared on {site}."),
    "topics": {
        "gear": {
            "titles": [
                "Stick drift again — is it worth repairing my {controller}?",
                "Best headset under {price_small}?",
                "Finally upgraded to a mechanical keyboard",
                "Wireless vs wired controller for online games",
                "My {controller} after two years: honest review",
                "Recommendations for a comfortable gaming chair?",
                "Mouse with side buttons for small hands?",
            ],
            "sentences": [
                "My {controller} started drifting to the left after about {months} months of "
                "daily use.",
                "I cleaned the stick with isopropyl alcohol and it helped for a week, then the "
                "drift came back.",
                "The {headset} is comfortable even after three hours, and the mic doesn't make "
                "me sound like a robot.",
                "Honestly, the difference between a {price_small} headset and a {price_big} one "
                "was smaller than I expected.",
                "I switched to a mechanical keyboard with brown switches and it's nowhere near "
                "as loud as I feared.",
                "Wired controllers still win for me because the battery never dies in the "
                "middle of a match.",
                "The new {controller} has hall-effect sticks, which supposedly means no drift "
                "at all.",
                "My wrists hurt less since I got a mouse that actually fits my hand.",
                "Does anyone know if the warranty covers stick drift, or do I have to pay for "
                "the repair myself?",
                "I'm tired of buying a new controller every year.",
                "The RGB lighting is nice, but I turned it off after two days.",
                "Noise cancelling matters more than surround sound when a baby is sleeping in "
                "the next room.",
            ],
        },
        "pc": {
            "titles": [
                "{gpu}: enough for 1440p?",
                "Upgrading an old family PC — where do I start?",
                "Driver update tanked my FPS",
                "Built my first PC this weekend!",
                "CPU or GPU bottleneck?",
                "16 GB vs 32 GB of RAM for gaming in 2026",
            ],
            "sentences": [
                "I finally replaced my old GTX 1060 with a new {gpu} and the difference is night "
                "and day.",
                "With the latest driver my frame rate dropped from about {fps_hi} to {fps_lo} fps.",
                "Rolling back the graphics driver fixed the stuttering for me.",
                "The case fans were so loud that I swapped them for quieter ones.",
                "Is 16 GB of RAM still enough, or should I go straight to 32?",
                "My CPU sits at 100% while the graphics card is barely working, so I guess "
                "that's the bottleneck.",
                "Building the PC took me a whole Saturday, mostly because of cable management.",
                "An SSD cut loading times more than any other upgrade I've made.",
                "I capped the frame rate at 60 fps and the fans finally calmed down.",
                "The thermal paste was bone dry after five years; after replacing it the "
                "temperatures dropped by ten degrees.",
                "Second-hand graphics cards are tempting, but I'm worried about cards that "
                "were used for mining.",
            ],
        },
        "parenting": {
            "titles": [
                "How much screen time do your kids get on school days?",
                "Parental controls that actually work?",
                "Is a PEGI 12 game OK for {a_age}-year-old?",
                "Gaming vs homework — our new family rule",
                "Kids spending money in games without asking",
                "Do you play together with your kids?",
            ],
            "sentences": [
                "We allow one hour of gaming on school days and a bit more on weekends.",
                "The family settings on the console let me set a time limit, but <<she|he>> "
                "figured out how to get around it.",
                "I check the PEGI rating first and then watch a few minutes of gameplay on "
                "YouTube before I say yes.",
                "Homework comes first, then games, and that rule has worked surprisingly well.",
                "Last month <<she|he>> spent money on skins without asking, so we turned off "
                "in-game purchases.",
                "Playing together for half an hour a week taught me more about <<her|his>> "
                "games than any article.",
                "The hardest part is not the limit itself but the arguments when the timer "
                "runs out.",
                "We keep the console in the living room so I can hear who <<she|he>> is "
                "talking to.",
                "I'd rather <<she|he>> plays online with friends than alone for hours.",
                "Voice chat with strangers is the thing that worries me most.",
                "A kitchen timer works better for us than any app.",
                "Our rule is no screens at the dinner table, for parents too.",
            ],
        },
        "deals": {
            "titles": [
                "Worth it: the autumn sale on {store}?",
                "Game subscriptions — which one do you keep?",
                "Got {game_any} for half price",
                "New game prices are getting ridiculous",
                "Bundle deals for families?",
            ],
            "sentences": [
                "The autumn sale on {store} has lots of older games for under $10.",
                "I cancelled one of my subscriptions because I kept playing the same two games.",
                "Seventy dollars for a new release is too much when I have a backlog of thirty "
                "games.",
                "I wait at least six months after release; by then the price drops and the bugs "
                "are fixed.",
                "The family plan is cheaper than three separate accounts.",
                "Wishlists are great, I get an email when a game finally goes on sale.",
                "Free weekends are how I discover most of the games I end up buying.",
                "Physical copies are still cheaper at local shops here, and I can resell them "
                "later.",
                "I set a monthly gaming budget of {budget} and try to stick to it.",
                "Pre-ordering is something I stopped doing years ago.",
                "Birthday gift cards go straight into the sale.",
            ],
        },
        "starfall": {
            "titles": [
                "@player {game} ranked is driving me crazy",
                "@player Best support hero in {game} right now?",
                "@parent Is {game} OK for {a_age}-year-old?",
                "@player {hero} nerf in {game} — thoughts?",
                "@player Looking for a {game} duo partner (EU)",
                "{game} skins are getting pricey",
                "@player {game} matchmaking after the patch",
            ],
            "recent_titles": [
                "@player The new {game} season is amazing",
                "@player {hero2} is my new main in {game}",
                "@player Just started {game} — tips for a beginner?",
                "@parent {game} new season: the report button finally works",
                "@player Finally a {game} lobby that doesn't flame me",
            ],
            "sentences": [
                "@player I climbed from Silver to Gold in {game} this week, mostly by playing "
                "{hero}.",
                "@player The last patch nerfed {hero} so hard that nobody picks that hero anymore.",
                "Matches in {game} take about twenty minutes, which is perfect for a weeknight.",
                "@player Solo queue in {game} can be brutal when your team doesn't talk.",
                "The new skins look amazing, but {skin_price} for a single skin is a lot.",
                "@player I mostly play support in {game}; healing is underrated.",
                "The tutorial in {game} actually explains the objectives well.",
                "@player Someone in voice chat was rude again yesterday, so I muted everyone.",
                "@player Ranked anxiety is real: I play three normal games before I dare to "
                "queue ranked.",
                "@player {game} runs fine even on my old laptop at medium settings.",
                "@player Our group of five plays {game} every Friday night.",
                "@player The battle pass feels grindy this season.",
                "@parent <<She|He>> mostly plays support and spends whole matches healing others.",
                "@parent I sat next to <<her|him>> for a match, and it's less violent than I "
                "expected.",
                "@parent The voice chat is what I keep an eye on.",
                "@parent <<She|He>> saved up pocket money for a skin, which I thought was fair.",
            ],
            "recent": [
                "The new season of {game} finally added a proper report button for voice chat.",
                "@player {hero2} from the new season is so much fun to play.",
                "Since the Aurora season launched, the lobbies have more girls than ever.",
                "@player The duo queue in {game} makes it easy to play with a friend without "
                "getting flamed.",
                "@player A friend from school got me into {game} last week and I'm hooked.",
                "@player The streamer everyone is watching right now plays {game}, which is how "
                "I found it.",
                "The new mentor system in {game} pairs beginners with a patient player for "
                "their first ten matches.",
                "@player I never liked games like this before, but {game} changed my mind.",
                "@parent Since the new season <<she|he>> plays with a group of friends from "
                "<<her|his>> class.",
                "@parent The new report button made me much more comfortable with voice chat.",
            ],
        },
        "iron": {
            "titles": [
                "{game} patch notes — tanks nerfed again?",
                "@player Best squad setup in {game}",
                "@player {game} clan looking for members",
                "@parent Is {game} too violent for {a_age}-year-old?",
                "The new {game} map is huge",
                "@player {game}: controller or mouse?",
            ],
            "sentences": [
                "The new map in {game} is huge, and vehicles finally feel useful.",
                "@player Our clan plays {game} on Tuesday and Thursday evenings.",
                "Tanks in {game} got nerfed again, and I think it's fair this time.",
                "@player Squad play with voice chat is the only way to win in {game}.",
                "The sniper rifles in {game} feel too strong on the open maps.",
                "@player I play {game} with a controller and aim assist feels balanced.",
                "@player The campaign of {game} is short, but the multiplayer keeps me coming "
                "back.",
                "The servers in {game} were laggy on Saturday evening.",
                "I like that {game} rewards teamwork more than kill counts.",
                "@player The weekly challenges in {game} are a nice reason to log in.",
                "@player Matchmaking in {game} takes under a minute for me.",
                "@parent {game} is rated 16, so I'm careful about the more graphic scenes.",
                "@parent <<She|He>> plays with a clan of classmates on Tuesday evenings.",
                "@parent We agreed on two evenings of {game} a week and it works.",
            ],
        },
        "mech": {
            "titles": [
                "{game} open beta — first impressions",
                "Still waiting for a {game} beta key",
                "{game} server queue is {queue} minutes",
                "{game} beta ends soon — worth it?",
                "{game}: best mech build for beginners",
            ],
            "sentences": [
                "I got into the {game} open beta yesterday and the mech customization is insane.",
                "The server queue for {game} was {queue} minutes on launch night.",
                "Does anyone have a spare {game} beta key?",
                "The {game} beta crashed three times during a single match.",
                "Customizing the legs and arms of your mech in {game} is the best part.",
                "{game} feels like a heavier, slower arena shooter, which I like.",
                "The {game} beta weekend ends on Sunday, so I'm playing as much as I can.",
                "Heavy mechs are overpowered in the {game} beta.",
                "Performance in the {game} beta is rough on older graphics cards.",
                "I hope the full release of {game} keeps our progress from the beta.",
            ],
            "late": [
                "Honestly, I'm a bit bored with {game} after the beta.",
                "Nobody in my group has opened {game} since the beta ended.",
            ],
        },
        "harvest": {
            "titles": [
                "{game} co-op is the cutest thing",
                "@parent A shared {game} farm with my <<daughter|son>>",
                "Split-screen in {game} — finally!",
                "Tips for a shared farm in {game} co-op?",
                "{game} co-op update: how do you split the chores?",
                "@parent Our family's {game} farm",
                "{game} co-op — worth buying now?",
            ],
            "teaser_titles": ["{game} is getting co-op!", "{game} co-op announced"],
            "sentences": [
                "The co-op update for {game} lets up to four people share one farm.",
                "We started a co-op farm in {game} last night and played until midnight.",
                "@adult My partner waters the crops while I take care of the chickens, and it's "
                "so relaxing.",
                "Split-screen co-op in {game} works great on the TV.",
                "It's the first game our whole family can play together without anyone getting "
                "frustrated.",
                "@player Cozy farming games were never my thing, but the co-op mode in {game} "
                "got me.",
                "Planting pumpkins together for the autumn festival was the highlight of our week.",
                "The shared storage chest in co-op saves a lot of arguments.",
                "There is no combat at all in {game}, which is perfect for younger kids.",
                "I love that in co-op everyone can go fishing or mining on their own while the "
                "day goes on.",
                "Our co-op farm already has a greenhouse, two cows and far too many sunflowers.",
                "The co-op update is free for everyone who already owns {game}.",
                "@parent <<She|He>> runs to the TV right after dinner to check on our chickens.",
                "@parent <<She|He>> named every cow on our farm, and I'm not allowed to sell "
                "any of them.",
            ],
            "teaser": [
                "The developers of {game} announced a co-op mode coming next week.",
                "Apparently {game} is getting four-player co-op soon.",
                "I hope the {game} co-op mode works in split-screen.",
            ],
        },
    },
}

PL: dict[str, Any] = {
    "joiner": " ",
    "openers": [
        "Hej wszystkim!",
        "Szybkie pytanie do was.",
        "Długo tylko [[czytałam|czytałem]] forum, to mój pierwszy post.",
        "Krótka historia z wczoraj.",
        "Mała aktualizacja z naszego domu.",
        "Nie wiem, czy to dobry dział, ale spróbuję.",
        "Siema!",
        "Wczoraj wieczorem wydarzyło się coś takiego.",
        "Piszę tutaj, bo znajomi mają już dość moich opowieści.",
    ],
    "closers": [
        "Co o tym myślicie?",
        "Będę [[wdzięczna|wdzięczny]] za każdą radę.",
        "Dajcie znać, jak to wygląda u was.",
        "Z góry dzięki!",
        "Pozdrawiam!",
        "Tyle ode mnie.",
        "Czy tylko ja tak mam?",
        "Chętnie poczytam o waszych doświadczeniach.",
        "Miłego grania!",
        "Może komuś się przyda.",
    ],
    "female_game": [
        "Jako dziewczyna, która gra od podstawówki, w końcu czuję się w {game} mile widziana.",
        "@regular Jestem dziewczyną i gram w {game} od otwartej bety, więc widziałam już "
        "każdą zmianę mety.",
        "@adult30 Jako kobieta po trzydziestce gram w {game} po pracy i krótkie mecze to dla "
        "mnie zbawienie.",
        "Jako dziewczyna grająca supportem w {game} długo wyciszałam czat głosowy.",
        "@teen Razem z dziewczynami z mojej klasy zaczęłyśmy w tym miesiącu grać w {game}.",
    ],
    "female": [
        "Jako dziewczyna, która gra od lat, bardziej cenię wygodę niż kolorowe podświetlenie.",
        "@adult Jestem kobietą i gram jeszcze od czasów PlayStation 2.",
        "Jako dziewczyna grająca z ograniczonym budżetem liczę każdą złotówkę.",
    ],
    "male_game": [
        "Jako facet, który gra w {game} od dwóch lat, mogę powiedzieć, że to normalne.",
        "@adult Jestem dorosłym facetem i {game} to mój wieczorny rytuał.",
        "Jako facet, który często gra solo w {game}, nie narzekam na dobieranie graczy.",
    ],
    "male": [
        "Jako facet, który gra głównie w weekendy, nie potrzebuję niczego wymyślnego.",
        "@adult40 Jestem facetem po czterdziestce, więc bierzcie moją opinię z przymrużeniem oka.",
        "Jestem chłopakiem, który gra po trochu we wszystko.",
    ],
    "child_game": [
        "<<Moja córka|Mój syn>> gra w {game} codziennie po odrobieniu lekcji.",
        "<<Moja córka|Mój syn>> ({age} lat) gra w {game} z <<koleżankami|kolegami>> ze szkoły.",
        "<<Moja {age}-letnia córka poprosiła|Mój {age}-letni syn poprosił>> o {game} na urodziny.",
        "<<Moja córka gra|Mój syn gra>> w {game} od wakacji.",
    ],
    "child": [
        "<<Moja córka ma|Mój syn ma>> {age} lat i gra prawie codziennie po szkole.",
        "<<Moja {age}-letnia córka gra|Mój {age}-letni syn gra>> na starym laptopie po kuzynie.",
        "<<Moja córka|Mój syn>> ({age} lat) <<grałaby|grałby>> cały dzień, gdybyśmy pozwolili.",
    ],
    "mom": [
        "Jako mama dwójki dzieci staram się wiedzieć, w co grają.",
        "Jako mama, która sama kiedyś dużo grała, rozumiem te emocje.",
    ],
    "dad": [
        "Jako tata staram się wiedzieć, w co grają moje dzieci.",
        "Jako tata, który sam gra od lat, podchodzę do tego spokojnie.",
    ],
    "teen_age": [
        "Mam {own_age} lat i rodzice pilnują, ile gram.",
        "Mam {own_age} lat, więc gry kupuję tylko z kieszonkowego.",
    ],
    "adult_age": [
        "@adult30 Jestem po trzydziestce i gram od dzieciństwa.",
        "@adult40 Jestem już po czterdziestce i gram głównie wieczorami.",
    ],
    "slots": {
        "controller": ["DualSense", "pad do Xboxa", "Pro Controller", "8BitDo Ultimate"],
        "headset": ["HyperX Cloud II", "SteelSeries Arctis Nova", "Razer BlackShark"],
        "price_small": ["200 zł", "250 zł"],
        "price_big": ["600 zł", "800 zł"],
        "skin_price": ["60 zł", "80 zł"],
        "budget": ["100 zł", "150 zł"],
        "gpu": ["RTX 4060", "RX 7600", "RTX 5070", "Arc B580"],
        "store": ["Steamie", "PlayStation Store", "eShopie", "GOG-u"],
        "game_any": [
            "Hollow Knight",
            "It Takes Two",
            "Hades",
            "Celeste",
            "Portal 2",
            "Overcooked 2",
        ],
    },
    "games": {
        "starfall": [("Starfall Arena", 1.0)],
        "iron": [("Iron Legion", 1.0)],
        "mech": [("Mech Rivals", 1.0)],
        "harvest": [("Harvest Hollow", 1.0)],
    },
    "reply": "Re: {title}",
    "repost": ("{site}: {title}", "Tekst ukazał się pierwotnie na blogu {site}."),
    "topics": {
        "gear": {
            "titles": [
                "Znowu dryf gałki — opłaca się naprawiać {controller}?",
                "Jakie słuchawki do {price_small}?",
                "W końcu klawiatura mechaniczna!",
                "Pad przewodowy czy bezprzewodowy do gier sieciowych?",
                "{controller} po dwóch latach — szczera opinia",
                "Polecicie wygodny fotel do grania?",
                "Mysz z bocznymi przyciskami do małej dłoni?",
            ],
            "sentences": [
                "Mój {controller} zaczął dryfować w lewo po jakichś {months} miesiącach "
                "codziennego grania.",
                "[[Przeczyściłam|Przeczyściłem]] gałkę alkoholem izopropylowym i pomogło na "
                "tydzień, potem dryf wrócił.",
                "Słuchawki {headset} są wygodne nawet po trzech godzinach, a mikrofon nie robi "
                "ze mnie robota.",
                "Szczerze mówiąc, różnica między słuchawkami za {price_small} a za {price_big} "
                "okazała się mniejsza, niż [[myślałam|myślałem]].",
                "[[Przesiadłam|Przesiadłem]] się na klawiaturę mechaniczną z brązowymi "
                "przełącznikami i wcale nie jest tak głośno, jak się [[bałam|bałem]].",
                "Przewodowy pad wciąż u mnie wygrywa, bo bateria nigdy nie pada w środku meczu.",
                "Nowy {controller} ma gałki hallotronowe, więc dryfu podobno ma nie być wcale.",
                "Odkąd mam mysz dopasowaną do dłoni, nadgarstek boli mnie dużo mniej.",
                "Czy ktoś wie, czy gwarancja obejmuje dryf gałki, czy muszę płacić za naprawę "
                "z własnej kieszeni?",
                "Mam dość kupowania nowego pada co roku.",
                "Podświetlenie RGB jest ładne, ale [[wyłączyłam|wyłączyłem]] je po dwóch dniach.",
                "Kiedy w pokoju obok śpi niemowlę, wyciszanie hałasu jest ważniejsze niż dźwięk "
                "przestrzenny.",
            ],
        },
        "pc": {
            "titles": [
                "Czy {gpu} wystarczy do 1440p?",
                "Modernizacja starego komputera rodzinnego — od czego zacząć?",
                "Aktualizacja sterowników zabiła mi FPS-y",
                "[[Złożyłam|Złożyłem]] swój pierwszy komputer!",
                "Wąskie gardło: procesor czy karta graficzna?",
                "16 czy 32 GB RAM do gier w 2026?",
            ],
            "sentences": [
                "W końcu [[wymieniłam|wymieniłem]] starą GTX 1060 na {gpu} i różnica jest "
                "kolosalna.",
                "Po ostatniej aktualizacji sterowników liczba klatek spadła mi z około {fps_hi} "
                "do {fps_lo} fps.",
                "Powrót do starszej wersji sterownika naprawił u mnie przycięcia.",
                "Wentylatory w obudowie były tak głośne, że [[wymieniłam|wymieniłem]] je na "
                "cichsze.",
                "Czy 16 GB RAM-u jeszcze wystarcza, czy od razu brać 32?",
                "Procesor chodzi na 100%, a karta graficzna prawie się nudzi, więc pewnie tu "
                "jest wąskie gardło.",
                "Składanie komputera zajęło mi całą sobotę, głównie przez układanie kabli.",
                "Dysk SSD skrócił czas ładowania bardziej niż jakakolwiek inna zmiana.",
                "[[Ustawiłam|Ustawiłem]] limit 60 klatek i wentylatory w końcu się uspokoiły.",
                "Pasta termoprzewodząca po pięciu latach była zupełnie sucha, a po wymianie "
                "temperatury spadły o dziesięć stopni.",
                "Używane karty graficzne kuszą ceną, ale boję się tych po kopaniu kryptowalut.",
            ],
        },
        "parenting": {
            "titles": [
                "Ile czasu przed ekranem mają wasze dzieci w dni szkolne?",
                "Kontrola rodzicielska, która naprawdę działa?",
                "Gra z PEGI 12 dla <<{age}-latki|{age}-latka>>?",
                "Gry kontra lekcje — nasza nowa zasada w domu",
                "Dzieci wydają pieniądze w grach bez pytania",
                "Gracie razem z dziećmi?",
            ],
            "sentences": [
                "U nas w dni szkolne jest godzina grania, w weekendy trochę więcej.",
                "Ustawienia rodzinne na konsoli pozwalają ustawić limit czasu, ale "
                "<<córka szybko znalazła|syn szybko znalazł>> sposób, żeby go obejść.",
                "Najpierw sprawdzam oznaczenie PEGI, a potem oglądam kilka minut rozgrywki na "
                "YouTubie, zanim się zgodzę.",
                "Najpierw lekcje, potem gry — ta zasada działa zaskakująco dobrze.",
                "W zeszłym miesiącu <<córka wydała|syn wydał>> pieniądze na skórki bez pytania, "
                "więc [[wyłączyłam|wyłączyłem]] zakupy w grach.",
                "Pół godziny wspólnego grania w tygodniu nauczyło mnie o <<jej|jego>> grach "
                "więcej niż jakikolwiek artykuł.",
                "Najtrudniejszy nie jest sam limit, tylko kłótnie, kiedy czas się kończy.",
                "Konsola stoi u nas w salonie, więc słyszę, z kim <<córka|syn>> rozmawia.",
                "Wolę, żeby <<córka grała|syn grał>> ze znajomymi w sieci, niż godzinami "
                "<<grała sama|grał sam>>.",
                "Najbardziej martwi mnie czat głosowy z obcymi ludźmi.",
                "U nas minutnik kuchenny sprawdza się lepiej niż każda aplikacja.",
                "Przy stole nie ma ekranów — dotyczy to także rodziców.",
            ],
        },
        "deals": {
            "titles": [
                "Jesienna wyprzedaż na {store} — warto?",
                "Abonamenty na gry — który zostawiacie?",
                "[[Kupiłam|Kupiłem]] {game_any} za pół ceny",
                "Ceny nowych gier to już przesada",
                "Pakiety rodzinne — macie doświadczenia?",
            ],
            "sentences": [
                "Na jesiennej wyprzedaży na {store} jest mnóstwo starszych gier poniżej 40 zł.",
                "[[Zrezygnowałam|Zrezygnowałem]] z jednego abonamentu, bo i tak w kółko "
                "[[grałam|grałem]] w te same dwie gry.",
                "Prawie 350 zł za nowość to za dużo, kiedy mam w kolejce trzydzieści "
                "nieukończonych gier.",
                "Czekam co najmniej pół roku od premiery — cena spada, a błędy są już połatane.",
                "Plan rodzinny wychodzi taniej niż trzy osobne konta.",
                "Lista życzeń to świetna rzecz, dostaję maila, gdy gra w końcu jest przeceniona.",
                "Dzięki darmowym weekendom odkrywam większość gier, które potem kupuję.",
                "Pudełkowe wersje są u nas wciąż tańsze w lokalnych sklepach i można je potem "
                "odsprzedać.",
                "Mam miesięczny budżet na gry w wysokości {budget} i staram się go trzymać.",
                "Z zamówień przedpremierowych [[zrezygnowałam|zrezygnowałem]] lata temu.",
                "Karty podarunkowe z urodzin od razu idą na wyprzedaż.",
            ],
        },
        "starfall": {
            "titles": [
                "@player Ranked w {game} doprowadza mnie do szału",
                "@player Najlepszy support w {game}?",
                "@parent Czy {game} nadaje się dla <<{age}-latki|{age}-latka>>?",
                "@player Nerf postaci {hero} w {game} — co sądzicie?",
                "@player Szukam partnera do duo w {game}",
                "Skórki w {game} coraz droższe",
                "@player Gwiezdna Arena po patchu — matchmaking",
            ],
            "recent_titles": [
                "@player Nowy sezon {game} jest genialny",
                "@player {hero2} to moja nowa główna postać w {game}",
                "@player Dopiero [[zaczęłam|zacząłem]] grać w {game} — porady dla nowych?",
                "@parent Nowy sezon {game}: przycisk zgłaszania w końcu działa",
                "@player W końcu lobby w {game}, w którym nikt mnie nie wyzywa",
            ],
            "sentences": [
                "@player W tym tygodniu [[wbiłam|wbiłem]] w {game} ze srebra do złota, głównie "
                "grając postacią {hero}.",
                "@player Ostatni patch tak osłabił postać {hero}, że prawie nikt jej już nie "
                "wybiera.",
                "Mecz w {game} trwa około dwudziestu minut, idealnie na wieczór w tygodniu.",
                "@player Gra solo w rankingu {game} potrafi być brutalna, kiedy drużyna się nie "
                "komunikuje.",
                "Nowe skórki wyglądają świetnie, ale {skin_price} za jedną to sporo.",
                "@player W {game} gram głównie supportem, leczenie jest niedoceniane.",
                "Samouczek w {game} naprawdę dobrze tłumaczy cele meczu.",
                "@player Wczoraj znowu ktoś był niemiły na czacie głosowym, więc "
                "[[wyciszyłam|wyciszyłem]] wszystkich.",
                "@player Stres przed rankedem jest prawdziwy: gram trzy zwykłe mecze, zanim "
                "odważę się na rankingowy.",
                "@player {game} chodzi dobrze nawet na moim starym laptopie na średnich "
                "ustawieniach.",
                "@player Nasza piątka gra w {game} w każdy piątkowy wieczór.",
                "@player Karnet bojowy w tym sezonie wymaga strasznie dużo grindu.",
                "@player Gwiezdna Arena to jedyna gra, w którą gramy razem całą paczką.",
                "@parent <<Córka gra|Syn gra>> głównie supportem i całe mecze leczy innych.",
                "@parent [[Usiadłam|Usiadłem]] obok <<niej|niego>> na jeden mecz i gra jest "
                "mniej brutalna, niż się [[spodziewałam|spodziewałem]].",
                "@parent Najbardziej pilnuję czatu głosowego.",
                "@parent <<Córka odłożyła|Syn odłożył>> kieszonkowe na skórkę i uważam, że to "
                "uczciwe.",
            ],
            "recent": [
                "Nowy sezon {game} w końcu dodał porządny przycisk zgłaszania na czacie głosowym.",
                "@player Postacią {hero2} z nowego sezonu gra się rewelacyjnie.",
                "Od startu sezonu Aurora w lobby jest więcej dziewczyn niż kiedykolwiek.",
                "@player Kolejka duo w {game} pozwala grać ze znajomą osobą bez wysłuchiwania "
                "wyzwisk.",
                "@player Koleżanka ze szkoły namówiła mnie na {game} w zeszłym tygodniu i "
                "[[wciągnęłam|wciągnąłem]] się.",
                "@player Streamerka, którą wszyscy teraz oglądają, gra w {game} i stąd się o tej "
                "grze [[dowiedziałam|dowiedziałem]].",
                "Nowy system mentorów w {game} łączy początkujących z cierpliwym graczem na "
                "pierwsze dziesięć meczów.",
                "@player Nigdy nie [[lubiłam|lubiłem]] takich gier, ale {game} zmieniła moje "
                "zdanie.",
                "Gwiezdna Arena w nowym sezonie jest dużo przyjaźniejsza dla początkujących.",
                "@parent Od nowego sezonu <<córka gra|syn gra>> z paczką znajomych z klasy.",
            ],
        },
        "iron": {
            "titles": [
                "Patch do {game} — znowu nerf czołgów?",
                "@player Najlepszy skład drużyny w {game}",
                "@player Klan w {game} szuka graczy",
                "@parent Czy {game} to nie za brutalna gra dla <<{age}-latki|{age}-latka>>?",
                "Nowa mapa w {game} jest ogromna",
                "@player {game}: pad czy mysz?",
            ],
            "sentences": [
                "Nowa mapa w {game} jest ogromna i pojazdy w końcu mają sens.",
                "@player Nasz klan gra w {game} we wtorki i czwartki wieczorem.",
                "Czołgi w {game} znowu dostały nerfa, ale tym razem uważam, że słusznie.",
                "@player Gra w drużynie z czatem głosowym to jedyny sposób na wygraną w {game}.",
                "Karabiny snajperskie w {game} są za mocne na otwartych mapach.",
                "@player Gram w {game} na padzie i wspomaganie celowania wydaje się wyważone.",
                "@player Kampania {game} jest krótka, ale do trybu wieloosobowego ciągle wracam.",
                "W sobotę wieczorem serwery {game} mocno lagowały.",
                "Podoba mi się, że {game} nagradza współpracę bardziej niż liczbę zabójstw.",
                "@player Cotygodniowe wyzwania w {game} to fajny powód, żeby się zalogować.",
                "@player Żelazny Legion, jak mówimy na tę grę w klanie, to wciąż najlepsza "
                "drużynowa strzelanka.",
                "@parent {game} ma oznaczenie PEGI 16, więc uważam na bardziej drastyczne sceny.",
                "@parent <<Córka gra|Syn gra>> we wtorki wieczorem z klanem złożonym z "
                "<<koleżanek|kolegów>> z klasy.",
                "@parent Umówiliśmy się na dwa wieczory z {game} w tygodniu i to działa.",
            ],
        },
        "mech": {
            "titles": [
                "Otwarta beta {game} — pierwsze wrażenia",
                "Wciąż czekam na klucz do bety {game}",
                "Kolejka do serwera {game}: {queue} minut",
                "Beta {game} zaraz się kończy — warto?",
                "{game}: najlepszy mech na start",
            ],
            "sentences": [
                "Wczoraj [[dostałam|dostałem]] się do otwartej bety {game} i personalizacja "
                "mechów jest niesamowita.",
                "Kolejka do serwera {game} w noc startu bety trwała {queue} minut.",
                "Ma ktoś zbędny klucz do bety {game}?",
                "Beta {game} wysypała mi się trzy razy w trakcie jednego meczu.",
                "Składanie nóg i ramion mecha w {game} to najlepsza część gry.",
                "{game} to cięższa, wolniejsza strzelanka na arenie i właśnie to mi się podoba.",
                "Weekend z betą {game} kończy się w niedzielę, więc gram, ile się da.",
                "Ciężkie mechy w becie {game} są przegięte.",
                "Wydajność bety {game} na starszych kartach graficznych jest słaba.",
                "Mam nadzieję, że pełna wersja {game} zachowa postępy z bety.",
            ],
            "late": [
                "Szczerze mówiąc, od końca bety {game} trochę mnie już nudzi.",
                "Od końca bety nikt z mojej ekipy nie włączył {game}.",
            ],
        },
        "harvest": {
            "titles": [
                "Kooperacja w {game} to coś przeuroczego",
                "@parent Wspólna farma w {game} z <<córką|synem>>",
                "Podzielony ekran w {game} — nareszcie!",
                "Porady do wspólnej farmy w trybie co-op {game}?",
                "Aktualizacja co-op w {game}: jak dzielicie się obowiązkami?",
                "@parent Nasza rodzinna farma w {game}",
                "Co-op w {game} — warto teraz kupić?",
            ],
            "teaser_titles": ["{game} dostanie tryb co-op!", "Zapowiedziano co-op w {game}"],
            "sentences": [
                "Aktualizacja co-op do {game} pozwala prowadzić jedną farmę nawet w cztery osoby.",
                "Wczoraj [[założyłam|założyłem]] wspólną farmę w {game} i graliśmy do północy.",
                "@adult Moja druga połówka podlewa uprawy, a ja zajmuję się kurami — to "
                "strasznie relaksujące.",
                "Tryb co-op na podzielonym ekranie w {game} świetnie działa na telewizorze.",
                "To pierwsza gra, w którą cała rodzina może grać razem i nikt się nie denerwuje.",
                "@player Przytulne gry o farmie nigdy mnie nie kręciły, ale tryb kooperacji w "
                "{game} mnie kupił.",
                "Wspólne sadzenie dyń na jesienny festyn to był najlepszy moment tygodnia.",
                "Wspólna skrzynia na zapasy w trybie co-op oszczędza mnóstwo kłótni.",
                "W {game} nie ma żadnej walki, więc to idealna gra dla młodszych dzieci.",
                "Uwielbiam to, że w co-opie każdy może iść na ryby albo do kopalni, a dzień "
                "płynie dalej.",
                "Nasza wspólna farma ma już szklarnię, dwie krowy i zdecydowanie za dużo "
                "słoneczników.",
                "Aktualizacja co-op jest darmowa dla wszystkich, którzy już mają {game}.",
                "@parent <<Córka biegnie|Syn biegnie>> po kolacji prosto do telewizora, żeby "
                "sprawdzić nasze kury.",
                "@parent <<Córka nadała|Syn nadał>> imię każdej krowie na farmie i nie wolno mi "
                "sprzedać żadnej z nich.",
            ],
            "teaser": [
                "Twórcy {game} zapowiedzieli tryb kooperacji na przyszły tydzień.",
                "Podobno {game} dostanie wkrótce co-op dla czterech osób.",
                "Mam nadzieję, że co-op w {game} będzie działał na podzielonym ekranie.",
            ],
        },
    },
}

VI: dict[str, Any] = {
    "joiner": " ",
    "openers": [
        "Chào mọi người!",
        "Cho mình hỏi nhanh một chút.",
        "Lần đầu đăng bài, mọi người nhẹ tay nhé.",
        "Kể mọi người nghe chuyện này.",
        "Cập nhật nhỏ từ nhà mình.",
        "Không biết đăng box này có đúng không, nhưng cứ hỏi.",
        "Hello cả nhà!",
        "Tối qua có chuyện này.",
        "Đăng lên đây vì bạn bè mình nghe mãi chán rồi.",
    ],
    "closers": [
        "Mọi người thấy sao?",
        "Ai có kinh nghiệm thì chỉ giúp mình với.",
        "Cảm ơn mọi người trước nhé.",
        "Có ai bị giống mình không?",
        "Chúc mọi người chơi game vui vẻ!",
        "Ý kiến cá nhân thôi nhé.",
        "Mong được nghe chia sẻ của mọi người.",
        "Vậy thôi, cảm ơn đã đọc.",
        "Hóng ý kiến các bác.",
    ],
    "female_game": [
        "Là con gái chơi game từ hồi cấp một, cuối cùng mình cũng thấy {game} chào đón mình.",
        "@regular Mình là con gái và đã chơi {game} từ hồi open beta, nên meta nào cũng "
        "trải qua rồi.",
        "@adult30 Là phụ nữ ngoài ba mươi, mình chơi {game} sau giờ làm nên rất thích các trận "
        "ngắn.",
        "Là con gái chơi support trong {game}, trước đây mình toàn phải tắt voice chat.",
        "@teen Mình với mấy bạn nữ trong lớp đều mới bắt đầu chơi {game} tháng này.",
    ],
    "female": [
        "Là con gái mê game, mình coi trọng sự thoải mái hơn đèn RGB.",
        "@adult Mình là con gái, chơi game từ thời PS2.",
        "Là con gái chơi game với ngân sách eo hẹp, đồng nào mình cũng tính kỹ.",
    ],
    "male_game": [
        "Là con trai chơi {game} hai năm rồi, mình thấy chuyện này bình thường.",
        "@adult Mình là con trai, đi làm rồi, tối nào cũng làm vài trận {game}.",
        "Là con trai hay leo rank solo trong {game}, mình thấy ghép trận vẫn ổn.",
    ],
    "male": [
        "Là con trai chỉ chơi game cuối tuần, mình không cần gì cầu kỳ.",
        "@adult40 Mình là đàn ông ngoài bốn mươi, các bạn cứ tham khảo thôi nhé.",
        "Mình là con trai, game gì cũng chơi một chút.",
    ],
    "child_game": [
        "<<Con gái|Con trai>> tôi chơi {game} mỗi tối sau khi làm xong bài tập.",
        "<<Con gái|Con trai>> tôi ({age} tuổi) chơi {game} cùng các bạn trong lớp.",
        "<<Con gái|Con trai>> tôi {age} tuổi, đòi mua {game} làm quà sinh nhật.",
        "<<Con gái|Con trai>> tôi chơi {game} từ hè đến giờ.",
    ],
    "child": [
        "<<Con gái|Con trai>> tôi {age} tuổi, ngày nào đi học về cũng chơi game.",
        "<<Con gái|Con trai>> tôi {age} tuổi, chơi game trên cái laptop cũ của anh họ.",
        "<<Con gái|Con trai>> tôi năm nay {age} tuổi, cho chơi cả ngày chắc cũng chơi.",
    ],
    "mom": [
        "Là mẹ của hai đứa nhỏ, tôi cố gắng để ý xem các con chơi gì.",
        "Là mẹ, hồi trẻ cũng từng mê game, nên tôi hiểu cảm giác của con.",
    ],
    "dad": [
        "Là bố, tôi cố gắng biết các con đang chơi game gì.",
        "Là một ông bố cũng chơi game lâu năm, tôi khá thoải mái chuyện này.",
    ],
    "teen_age": [
        "Mình {own_age} tuổi nên bố mẹ quản giờ chơi game khá chặt.",
        "Mình mới {own_age} tuổi, mua game toàn bằng tiền tiêu vặt.",
    ],
    "adult_age": [
        "@adult30 Mình ngoài ba mươi rồi, chơi game từ bé.",
        "@adult40 Mình đã ngoài bốn mươi, chủ yếu chơi game buổi tối.",
    ],
    "slots": {
        "controller": [
            "tay cầm DualSense",
            "tay cầm Xbox",
            "tay cầm Pro Controller",
            "tay cầm 8BitDo",
        ],
        "headset": ["HyperX Cloud II", "SteelSeries Arctis Nova", "Razer BlackShark"],
        "price_small": ["1 triệu", "1,5 triệu"],
        "price_big": ["3 triệu", "4 triệu"],
        "skin_price": ["300 nghìn", "400 nghìn"],
        "budget": ["500 nghìn", "800 nghìn"],
        "gpu": ["RTX 4060", "RX 7600", "RTX 5070", "Arc B580"],
        "store": ["Steam", "PlayStation Store", "eShop", "GOG"],
        "game_any": [
            "Hollow Knight",
            "It Takes Two",
            "Hades",
            "Celeste",
            "Portal 2",
            "Overcooked 2",
        ],
    },
    "games": {
        "starfall": [("Starfall Arena", 0.6), ("Đấu Trường Tinh Tú", 0.4)],
        "iron": [("Iron Legion", 0.65), ("Quân Đoàn Thép", 0.35)],
        "mech": [("Mech Rivals", 1.0)],
        "harvest": [("Harvest Hollow", 1.0)],
    },
    "reply": "Re: {title}",
    "repost": ("[{site}] {title}", "Bài viết được đăng lần đầu trên {site}."),
    "topics": {
        "gear": {
            "titles": [
                "Lại bị drift analog — có nên sửa {controller} không?",
                "Tai nghe nào tốt trong tầm {price_small}?",
                "Cuối cùng cũng lên bàn phím cơ",
                "Tay cầm có dây hay không dây để chơi game online?",
                "Đánh giá thật lòng {controller} sau hai năm sử dụng",
                "Xin gợi ý ghế gaming ngồi lâu không mỏi",
                "Chuột có nút bên hông cho tay nhỏ?",
            ],
            "sentences": [
                "{controller} của mình bắt đầu bị drift sang trái sau khoảng {months} tháng chơi "
                "hằng ngày.",
                "Mình lau cần analog bằng cồn isopropyl, đỡ được một tuần rồi lại drift tiếp.",
                "Tai nghe {headset} đeo ba tiếng vẫn êm, mic cũng không bị rè.",
                "Nói thật, tai nghe {price_small} với tai nghe {price_big} khác nhau ít hơn mình "
                "tưởng.",
                "Mình chuyển sang bàn phím cơ switch nâu, gõ không ồn như mình lo.",
                "Với mình tay cầm có dây vẫn hơn, vì không bao giờ hết pin giữa trận.",
                "{controller} bản mới dùng cần hall effect, nghe nói là hết hẳn drift.",
                "Từ khi dùng con chuột vừa tay, cổ tay mình đỡ đau hẳn.",
                "Có ai biết bảo hành có nhận lỗi drift không, hay phải tự bỏ tiền sửa?",
                "Mình chán cảnh năm nào cũng phải mua tay cầm mới rồi.",
                "Đèn RGB thì đẹp đấy, nhưng mình tắt sau hai ngày.",
                "Nhà có em bé ngủ phòng bên thì chống ồn quan trọng hơn âm thanh vòm.",
            ],
        },
        "pc": {
            "titles": [
                "{gpu} có đủ chơi 1440p không?",
                "Nâng cấp máy tính cũ của cả nhà — bắt đầu từ đâu?",
                "Cập nhật driver xong tụt FPS",
                "Vừa tự build PC đầu tiên!",
                "Nghẽn CPU hay GPU?",
                "RAM 16 GB hay 32 GB để chơi game năm 2026?",
            ],
            "sentences": [
                "Cuối cùng mình cũng thay con GTX 1060 cũ bằng {gpu}, khác biệt một trời một vực.",
                "Sau bản driver mới nhất, FPS của mình tụt từ khoảng {fps_hi} xuống {fps_lo}.",
                "Mình quay về bản driver cũ là hết giật.",
                "Quạt case kêu to quá nên mình thay quạt êm hơn.",
                "RAM 16 GB còn đủ không, hay lên thẳng 32 GB luôn?",
                "CPU chạy 100% mà card đồ họa gần như nhàn, chắc nghẽn ở đây rồi.",
                "Build máy mất cả ngày thứ bảy, chủ yếu vì đi dây.",
                "Lắp SSD giúp giảm thời gian load nhiều hơn bất kỳ nâng cấp nào khác.",
                "Mình khóa FPS ở 60 và quạt cuối cùng cũng êm lại.",
                "Keo tản nhiệt sau năm năm khô cong, thay xong nhiệt độ giảm mười độ.",
                "Card đồ họa cũ giá hời thật, nhưng mình sợ mua phải card đào coin.",
            ],
        },
        "parenting": {
            "titles": [
                "Ngày đi học các con được dùng màn hình bao lâu?",
                "Có cách quản lý con chơi game nào hiệu quả không?",
                "Game PEGI 12 có ổn cho bé {age} tuổi không?",
                "Game và bài tập — quy tắc mới nhà mình",
                "Con tự nạp tiền vào game mà không hỏi",
                "Các bố mẹ có chơi game cùng con không?",
            ],
            "sentences": [
                "Nhà tôi cho chơi một tiếng vào ngày đi học, cuối tuần thì thêm chút.",
                "Máy console có chế độ gia đình để hẹn giờ, nhưng <<con bé|thằng bé>> đã tìm ra "
                "cách lách.",
                "Tôi xem nhãn PEGI trước, rồi xem vài phút gameplay trên YouTube rồi mới đồng ý.",
                "Làm bài tập trước, chơi game sau — quy tắc này hiệu quả bất ngờ.",
                "Tháng trước <<con bé|thằng bé>> tự mua skin mà không hỏi, nên tôi tắt luôn mua "
                "hàng trong game.",
                "Mỗi tuần chơi cùng con nửa tiếng giúp tôi hiểu game của con hơn mọi bài báo.",
                "Khó nhất không phải là giới hạn giờ, mà là lúc hết giờ cả nhà lại cãi nhau.",
                "Nhà tôi để máy ở phòng khách để nghe được con đang nói chuyện với ai.",
                "Tôi thà để con chơi online với bạn bè còn hơn ngồi chơi một mình hàng giờ.",
                "Điều tôi lo nhất là voice chat với người lạ.",
                "Với nhà tôi, cái đồng hồ hẹn giờ trong bếp còn hiệu quả hơn mọi ứng dụng.",
                "Nhà tôi có luật không dùng màn hình trong bữa ăn, áp dụng cả với bố mẹ.",
            ],
        },
        "deals": {
            "titles": [
                "Đợt sale mùa thu trên {store} có gì đáng mua?",
                "Gói game thuê bao — mọi người giữ gói nào?",
                "Vừa mua {game_any} giảm nửa giá",
                "Giá game mới ngày càng chát",
                "Gói gia đình có đáng không?",
            ],
            "sentences": [
                "Đợt sale mùa thu trên {store} có rất nhiều game cũ dưới 100 nghìn.",
                "Mình hủy một gói thuê bao vì toàn chơi đi chơi lại hai game.",
                "Gần 1,7 triệu cho một game mới là quá đắt khi mình còn tồn ba mươi game chưa "
                "chơi.",
                "Mình đợi ít nhất sáu tháng sau khi ra mắt, lúc đó giá giảm mà lỗi cũng được vá.",
                "Gói gia đình rẻ hơn mua ba tài khoản riêng.",
                "Wishlist tiện lắm, game giảm giá là có email báo ngay.",
                "Phần lớn game mình mua đều là nhờ mấy đợt chơi thử miễn phí cuối tuần.",
                "Đĩa game ở cửa hàng gần nhà vẫn rẻ hơn, chơi xong còn bán lại được.",
                "Mình đặt ngân sách chơi game mỗi tháng {budget} và cố giữ đúng.",
                "Mình bỏ thói quen đặt trước game từ mấy năm nay rồi.",
                "Thẻ quà tặng sinh nhật là mình để dành hết cho mùa sale.",
            ],
        },
        "starfall": {
            "titles": [
                "@player Leo rank {game} muốn phát điên",
                "@player Support nào mạnh nhất trong {game} hiện giờ?",
                "@parent {game} có phù hợp với trẻ {age} tuổi không?",
                "@player {hero} bị nerf trong {game} — mọi người nghĩ sao?",
                "@player Tìm bạn đánh duo {game}",
                "Skin trong {game} ngày càng đắt",
            ],
            "recent_titles": [
                "@player Mùa mới của {game} quá đỉnh",
                "@player {hero2} là main mới của mình",
                "@player Mới chơi {game}, xin kinh nghiệm cho người mới",
                "@parent Mùa mới {game}: nút báo cáo cuối cùng cũng dùng được",
                "@player Cuối cùng cũng có sảnh {game} không bị chửi",
            ],
            "sentences": [
                "@player Tuần này mình leo từ Bạc lên Vàng trong {game}, chủ yếu nhờ chơi {hero}.",
                "@player Bản cập nhật vừa rồi nerf {hero} nặng quá, giờ gần như không ai chọn nữa.",
                "Một trận {game} khoảng hai mươi phút, rất hợp để chơi buổi tối trong tuần.",
                "@player Leo rank solo trong {game} rất mệt khi đồng đội không nói chuyện với "
                "nhau.",
                "Skin mới đẹp thật, nhưng {skin_price} cho một skin thì hơi đắt.",
                "@player Mình chủ yếu chơi support trong {game}, vai trò hồi máu bị đánh giá "
                "thấp quá.",
                "Phần hướng dẫn của {game} giải thích mục tiêu trận đấu rất dễ hiểu.",
                "@player Hôm qua lại có người nói năng thô lỗ trên voice chat, thế là mình tắt "
                "tiếng hết.",
                "@player Áp lực leo rank là có thật: mình phải đánh ba trận thường rồi mới dám "
                "vào rank.",
                "@player {game} chạy ổn ngay cả trên laptop cũ của mình ở mức cấu hình trung bình.",
                "@player Nhóm năm đứa bọn mình tối thứ sáu nào cũng chơi {game}.",
                "@player Battle pass mùa này phải cày nhiều quá.",
                "@parent <<Con bé|Thằng bé>> chủ yếu chơi support, cả trận chỉ lo hồi máu cho "
                "đồng đội.",
                "@parent Tôi ngồi xem <<con bé|thằng bé>> chơi một trận, thấy ít bạo lực hơn tôi "
                "nghĩ.",
                "@parent Tôi để ý nhất là phần voice chat.",
                "@parent <<Con bé|Thằng bé>> để dành tiền tiêu vặt mua một bộ skin, tôi thấy "
                "cũng hợp lý.",
            ],
            "recent": [
                "Mùa mới của {game} cuối cùng cũng có nút báo cáo voice chat tử tế.",
                "@player {hero2} của mùa mới chơi vui cực.",
                "Từ khi mùa Aurora ra mắt, sảnh chờ có nhiều bạn nữ hơn bao giờ hết.",
                "@player Chế độ đánh duo trong {game} giúp chơi cùng bạn thân mà không bị chửi.",
                "@player Tuần trước một bạn cùng lớp rủ mình chơi {game} và giờ mình nghiện luôn.",
                "@player Nữ streamer đang hot nhất bây giờ chơi {game}, mình biết đến game nhờ "
                "chị ấy.",
                "Hệ thống mentor mới trong {game} ghép người mới với một người chơi kiên nhẫn "
                "trong mười trận đầu.",
                "@player Trước giờ mình không thích thể loại này, nhưng {game} đã làm mình đổi ý.",
                "@parent Từ mùa mới, <<con bé|thằng bé>> chơi cùng một nhóm bạn trong lớp.",
                "@parent Có nút báo cáo mới, tôi yên tâm hơn hẳn với voice chat.",
            ],
        },
        "iron": {
            "titles": [
                "Bản cập nhật {game} — xe tăng lại bị nerf?",
                "@player Đội hình squad mạnh nhất trong {game}",
                "@player Clan {game} tuyển thành viên",
                "@parent {game} có quá bạo lực với trẻ {age} tuổi không?",
                "Map mới của {game} rộng khủng khiếp",
                "@player {game}: tay cầm hay chuột?",
            ],
            "sentences": [
                "Map mới trong {game} rộng khủng khiếp, giờ xe cộ mới thật sự có ích.",
                "@player Clan bọn mình chơi {game} vào tối thứ ba và thứ năm.",
                "Xe tăng trong {game} lại bị nerf, nhưng lần này mình thấy hợp lý.",
                "@player Chơi theo squad có voice chat là cách duy nhất để thắng trong {game}.",
                "Súng bắn tỉa trong {game} mạnh quá trên mấy map trống trải.",
                "@player Mình chơi {game} bằng tay cầm và aim assist khá cân bằng.",
                "@player Chiến dịch của {game} ngắn, nhưng phần chơi mạng thì mình cứ quay lại "
                "mãi.",
                "Tối thứ bảy server {game} lag kinh khủng.",
                "Mình thích việc {game} thưởng cho tinh thần đồng đội hơn số mạng hạ gục.",
                "@player Thử thách hằng tuần của {game} là lý do hay để đăng nhập.",
                "@player Ghép trận trong {game} chỉ mất chưa tới một phút.",
                "@parent {game} được xếp hạng 16+, nên tôi khá cẩn thận với mấy cảnh bạo lực.",
                "@parent <<Con bé|Thằng bé>> chơi cùng clan toàn bạn cùng lớp vào tối thứ ba.",
                "@parent Nhà tôi thống nhất mỗi tuần chơi {game} hai buổi tối, thấy khá ổn.",
            ],
        },
        "mech": {
            "titles": [
                "Open beta {game} — ấn tượng đầu tiên",
                "Vẫn đang chờ key beta {game}",
                "Xếp hàng vào server {game} mất {queue} phút",
                "Beta {game} sắp kết thúc — có đáng chơi không?",
                "{game}: build mech nào cho người mới?",
            ],
            "sentences": [
                "Hôm qua mình vào được open beta {game}, phần tùy chỉnh mech đỉnh thật sự.",
                "Đêm mở beta, xếp hàng vào server {game} mất tận {queue} phút.",
                "Ai còn dư key beta {game} không?",
                "Bản beta {game} bị crash ba lần trong một trận.",
                "Lắp ráp chân và tay mech trong {game} là phần hay nhất.",
                "{game} giống một game bắn súng đấu trường nặng và chậm hơn, mình lại thích thế.",
                "Cuối tuần beta {game} kết thúc vào chủ nhật, nên mình tranh thủ chơi hết mức.",
                "Mech hạng nặng trong bản beta {game} bá quá.",
                "Bản beta {game} chạy khá tệ trên card đồ họa đời cũ.",
                "Hy vọng bản chính thức {game} giữ lại tiến trình từ bản beta.",
            ],
            "late": [
                "Nói thật là hết beta rồi mình cũng hơi chán {game}.",
                "Từ khi hết beta, nhóm mình không ai mở {game} lại nữa.",
            ],
        },
        "harvest": {
            "titles": [
                "Chế độ co-op của {game} dễ thương quá trời",
                "@parent Cùng <<con gái|con trai>> làm nông trại chung trong {game}",
                "Chia đôi màn hình trong {game} — cuối cùng cũng có!",
                "Mẹo làm nông trại chung trong co-op {game}?",
                "Bản cập nhật co-op {game}: mọi người chia việc thế nào?",
                "@parent Nông trại của cả nhà mình trong {game}",
            ],
            "teaser_titles": ["{game} sắp có co-op!", "{game} công bố chế độ co-op"],
            "sentences": [
                "Bản cập nhật co-op của {game} cho phép tối đa bốn người cùng chung một nông trại.",
                "Tối qua bọn mình lập nông trại chung trong {game} và chơi đến nửa đêm.",
                "@adult Người yêu mình tưới cây còn mình chăm đàn gà, thư giãn cực kỳ.",
                "Chế độ co-op chia đôi màn hình của {game} chơi trên TV rất tuyệt.",
                "Đây là game đầu tiên cả nhà mình chơi cùng nhau mà không ai bực mình.",
                "@player Mình vốn không mê game làm nông, nhưng chế độ co-op của {game} đã "
                "thuyết phục mình.",
                "Cùng nhau trồng bí ngô cho lễ hội mùa thu là khoảnh khắc vui nhất tuần.",
                "Cái rương đồ dùng chung trong co-op giúp tránh được bao nhiêu cuộc cãi nhau.",
                "{game} hoàn toàn không có đánh nhau, rất hợp với trẻ nhỏ.",
                "Mình thích việc trong co-op mỗi người có thể đi câu cá hay đào mỏ riêng trong "
                "khi ngày vẫn trôi.",
                "Nông trại chung của bọn mình đã có nhà kính, hai con bò và quá nhiều hoa hướng "
                "dương.",
                "Bản cập nhật co-op miễn phí cho tất cả ai đã có {game}.",
                "@parent Ăn tối xong là <<con bé|thằng bé>> chạy ngay ra TV để xem đàn gà.",
                "@parent <<Con bé|Thằng bé>> đặt tên cho từng con bò trong nông trại và không "
                "cho tôi bán con nào.",
            ],
            "teaser": [
                "Nhà phát triển {game} vừa công bố chế độ co-op sẽ ra mắt tuần sau.",
                "Nghe nói {game} sắp có co-op bốn người.",
                "Mong là co-op của {game} chơi được chia đôi màn hình.",
            ],
        },
    },
}

ZH: dict[str, Any] = {
    "joiner": "",
    "openers": [
        "大家好！",
        "想问大家一个问题。",
        "潜水很久了，第一次发帖。",
        "忍不住来说两句。",
        "来汇报一下我家的近况。",
        "不知道发在这个版块对不对，先发了。",
        "各位好！",
        "昨晚发生了一件事。",
        "朋友们已经听腻了，只好来这里说。",
    ],
    "closers": [
        "大家怎么看？",
        "求各位大佬指点。",
        "先谢谢大家了。",
        "只有我这样吗？",
        "祝大家游戏愉快！",
        "个人看法，仅供参考。",
        "想听听大家的经验。",
        "就这些，谢谢看完。",
        "欢迎讨论。",
    ],
    "female_game": [
        "作为一个从小学就开始玩游戏的女生，我终于觉得{game}是欢迎我的。",
        "@regular 我是女生，从公测就开始玩{game}，每个版本的变化都经历过。",
        "@adult30 作为一个三十多岁的女性，我下班后玩{game}，特别喜欢节奏短的对局。",
        "作为一个在{game}里玩辅助的女生，以前我基本都要关掉语音。",
        "@teen 我们班的女生这个月都开始玩{game}了，我也是其中之一。",
    ],
    "female": [
        "作为一个爱玩游戏的女生，我更看重舒适度，而不是RGB灯效。",
        "@adult 我是女生，从PS2时代就开始玩游戏了。",
        "作为一个预算有限的女生玩家，每一分钱我都要算清楚。",
    ],
    "male_game": [
        "作为一个玩了两年{game}的男生，我觉得这很正常。",
        "@adult 我是男生，已经工作了，每天晚上都要打几局{game}。",
        "作为一个经常单排{game}的男生，我觉得匹配机制还行。",
    ],
    "male": [
        "作为一个只在周末玩游戏的男生，我不需要太花哨的东西。",
        "@adult40 我是个四十多岁的男人，我的意见大家参考就好。",
        "我是男生，什么游戏都玩一点。",
    ],
    "child_game": [
        "我<<女儿|儿子>>每天写完作业都会玩一会儿{game}。",
        "我<<女儿|儿子>>今年{age}岁，和班上的同学一起玩{game}。",
        "我<<女儿|儿子>>{age}岁，生日礼物点名要{game}。",
        "我<<女儿|儿子>>玩{game}从暑假玩到现在。",
    ],
    "child": [
        "我<<女儿|儿子>>今年{age}岁，每天放学都要玩一会儿游戏。",
        "我<<女儿|儿子>>{age}岁，用表哥淘汰下来的旧笔记本玩游戏。",
        "我<<女儿|儿子>>今年{age}岁，要是不管的话能玩一整天。",
    ],
    "mom": [
        "作为两个孩子的妈妈，我会尽量了解他们在玩什么。",
        "作为一个年轻时也爱打游戏的妈妈，我能理解孩子的心情。",
    ],
    "dad": [
        "作为爸爸，我尽量了解孩子们在玩什么游戏。",
        "作为一个自己也玩了很多年游戏的爸爸，我对这事比较放得开。",
    ],
    "teen_age": [
        "我今年{own_age}岁，爸妈管我玩游戏的时间管得很严。",
        "我才{own_age}岁，买游戏全靠零花钱。",
    ],
    "adult_age": [
        "@adult30 我三十多岁了，从小就玩游戏。",
        "@adult40 我已经四十多岁了，主要晚上玩一会儿。",
    ],
    "slots": {
        "controller": ["DualSense手柄", "Xbox手柄", "Switch Pro手柄", "八位堂手柄"],
        "headset": ["HyperX Cloud II", "赛睿Arctis Nova", "雷蛇BlackShark"],
        "price_small": ["三百元", "四百元"],
        "price_big": ["一千元", "一千二百元"],
        "skin_price": ["六十八元", "九十八元"],
        "budget": ["两百元", "三百元"],
        "gpu": ["RTX 4060", "RX 7600", "RTX 5070", "Arc B580"],
        "store": ["Steam", "PlayStation商店", "eShop", "GOG"],
        "game_any": [
            "《空洞骑士》",
            "《双人成行》",
            "《哈迪斯》",
            "《蔚蓝》",
            "《传送门2》",
            "《胡闹厨房2》",
        ],
    },
    "games": {
        "starfall": [("星落竞技场", 0.8), ("Starfall Arena", 0.2)],
        "iron": [("钢铁军团", 0.8), ("Iron Legion", 0.2)],
        "mech": [("机甲对决", 0.7), ("Mech Rivals", 0.3)],
        "harvest": [("丰收谷", 0.7), ("Harvest Hollow", 0.3)],
    },
    "reply": "回复：{title}",
    "repost": ("【转载】{title}", "转载自{site}，侵删。"),
    "topics": {
        "gear": {
            "titles": [
                "手柄又漂移了，{controller}值得修吗？",
                "{price_small}以内有什么好耳机推荐？",
                "终于入了机械键盘",
                "打网游用有线手柄还是无线手柄？",
                "{controller}用了两年的真实感受",
                "求推荐久坐不累的电竞椅",
                "手小的人用什么带侧键的鼠标？",
            ],
            "sentences": [
                "我的{controller}每天玩，大概{months}个月后摇杆就开始往左漂移了。",
                "用异丙醇清洁了摇杆，好了一个星期，然后又开始漂移。",
                "{headset}戴三个小时也很舒服，麦克风也不会把声音变得像机器人。",
                "说实话，{price_small}的耳机和{price_big}的耳机差别比我想象的小。",
                "换了茶轴机械键盘，其实没有我担心的那么吵。",
                "我还是更喜欢有线手柄，至少打到一半不会没电。",
                "新款{controller}用的是霍尔摇杆，据说完全不会漂移。",
                "换了一个适合手型的鼠标以后，手腕疼好多了。",
                "有人知道保修包不包括摇杆漂移吗？还是只能自费维修？",
                "每年都要买一个新手柄，我真的受够了。",
                "RGB灯效很好看，但我两天后就关掉了。",
                "隔壁房间有宝宝在睡觉的时候，降噪比环绕声重要多了。",
            ],
        },
        "pc": {
            "titles": [
                "{gpu}够玩2K吗？",
                "家里的旧电脑想升级，从哪里开始？",
                "更新驱动后帧数暴跌",
                "这个周末装好了人生第一台电脑！",
                "是CPU瓶颈还是显卡瓶颈？",
                "2026年玩游戏16G内存还是32G？",
            ],
            "sentences": [
                "终于把老GTX 1060换成了{gpu}，差距简直天壤之别。",
                "更新了最新驱动以后，帧数从大概{fps_hi}掉到了{fps_lo}。",
                "回退到旧版驱动以后卡顿就没了。",
                "机箱风扇太吵了，我换成了静音风扇。",
                "16G内存还够用吗？还是直接上32G？",
                "CPU占用一直100%，显卡却很闲，应该就是这里的瓶颈。",
                "装机花了我整整一个周六，主要是在理线。",
                "换固态硬盘对加载速度的提升比其他任何升级都明显。",
                "把帧数锁在60以后，风扇终于安静下来了。",
                "硅脂用了五年已经完全干了，换了以后温度降了十度。",
                "二手显卡很便宜，但我怕买到矿卡。",
            ],
        },
        "parenting": {
            "titles": [
                "上学的日子孩子每天玩多久屏幕？",
                "有没有真正管用的家长控制功能？",
                "PEGI 12的游戏适合{age}岁的孩子吗？",
                "游戏和作业——我家的新规矩",
                "孩子不打招呼就在游戏里花钱",
                "大家会陪孩子一起玩游戏吗？",
            ],
            "sentences": [
                "我们家上学日可以玩一个小时，周末稍微多一点。",
                "主机的家长模式可以设时间限制，但<<她|他>>很快就找到了绕过去的办法。",
                "我会先看PEGI分级，再去网上看几分钟实况视频，然后才同意。",
                "先写作业再玩游戏，这条规矩意外地好用。",
                "上个月<<她|他>>没打招呼就买了皮肤，所以我把游戏内购关掉了。",
                "每周陪孩子玩半个小时，比看任何文章都更让我了解<<她|他>>玩的游戏。",
                "最难的不是限制时间本身，而是时间到了以后的争吵。",
                "我们把主机放在客厅，这样我能听到孩子在和谁聊天。",
                "我宁愿孩子和同学一起联机，也不想<<她|他>>一个人玩好几个小时。",
                "我最担心的是和陌生人语音聊天。",
                "对我们家来说，厨房里的定时器比任何应用都管用。",
                "我们家吃饭时不许看屏幕，大人也一样。",
            ],
        },
        "deals": {
            "titles": [
                "{store}秋季特卖值得买吗？",
                "游戏订阅服务，大家留着哪个？",
                "半价入了{game_any}",
                "新游戏的价格越来越离谱了",
                "有没有适合全家的优惠套餐？",
            ],
            "sentences": [
                "{store}秋季特卖有很多老游戏不到五十块。",
                "我退订了一个会员，因为一直只在玩那两款游戏。",
                "一款新游戏要四百多，我库里还有三十个没通关的游戏呢。",
                "我一般等发售半年以后再买，那时候价格降了，bug也修得差不多了。",
                "家庭方案比买三个单独的账号便宜。",
                "愿望单很好用，游戏打折就会收到邮件提醒。",
                "我买的大部分游戏都是通过周末免费试玩发现的。",
                "实体版在本地店里还是更便宜，玩完还能转卖。",
                "我给自己定了每月{budget}的游戏预算，尽量不超支。",
                "我好几年前就不再预购游戏了。",
                "生日收到的礼品卡全都留到打折的时候用。",
            ],
        },
        "starfall": {
            "titles": [
                "@player {game}排位快把我逼疯了",
                "@player {game}现在最强的辅助是谁？",
                "@parent {game}适合{age}岁的孩子玩吗？",
                "@player {hero}在{game}里被削了，大家怎么看？",
                "@player 找{game}双排队友",
                "{game}的皮肤越来越贵了",
            ],
            "recent_titles": [
                "@player {game}新赛季太好玩了",
                "@player {hero2}成了我的新本命",
                "@player 刚入坑{game}，求新手攻略",
                "@parent {game}新赛季：举报按钮终于管用了",
                "@player 终于有一个不被喷的{game}大厅了",
            ],
            "sentences": [
                "@player 这周我在{game}里从白银打到了黄金，主要靠玩{hero}。",
                "@player 上次更新把{hero}削得太狠了，现在几乎没人选了。",
                "{game}一局大概二十分钟，很适合工作日晚上玩。",
                "@player 队友不交流的时候，{game}单排真的很折磨人。",
                "新皮肤确实好看，但一个皮肤要{skin_price}有点贵。",
                "@player 我在{game}里主要玩辅助，奶妈真的被低估了。",
                "{game}的新手教程把对局目标讲得很清楚。",
                "@player 昨天又有人在语音里骂人，我干脆把所有人都静音了。",
                "@player 排位焦虑是真的：我要先打三局匹配才敢去排位。",
                "@player {game}在我的旧笔记本上开中等画质也能流畅运行。",
                "@player 我们五个人每周五晚上都一起玩{game}。",
                "@player 这个赛季的通行证太肝了。",
                "@parent <<她|他>>主要玩辅助，一整局都在给队友加血。",
                "@parent 我坐在<<她|他>>旁边看了一局，没有我想象的那么暴力。",
                "@parent 我最注意的是语音聊天。",
                "@parent <<她|他>>攒了零花钱买了一个皮肤，我觉得挺合理的。",
            ],
            "recent": [
                "{game}新赛季终于加了像样的语音举报按钮。",
                "@player 新赛季的{hero2}玩起来太有意思了。",
                "极光赛季上线以后，大厅里的女生比以前任何时候都多。",
                "@player {game}的双排模式让我可以和好朋友一起玩，不用被喷。",
                "@player 上周一个同学拉我入坑{game}，现在完全停不下来。",
                "@player 现在最火的那个女主播在玩{game}，我就是看她直播才知道这个游戏的。",
                "{game}的新导师系统会在前十局给新手匹配一个很有耐心的老玩家。",
                "@player 我以前从来不喜欢这类游戏，但{game}改变了我的看法。",
                "@parent 新赛季开始后，<<她|他>>和班上几个同学组队一起玩。",
                "@parent 有了新的举报按钮，我对语音聊天放心多了。",
            ],
        },
        "iron": {
            "titles": [
                "{game}更新公告：坦克又被削了？",
                "@player {game}最强小队配置",
                "@player {game}战队招人",
                "@parent {game}对{age}岁的孩子来说是不是太暴力了？",
                "{game}新地图超级大",
                "@player {game}：手柄还是键鼠？",
            ],
            "sentences": [
                "{game}的新地图超级大，载具终于有用武之地了。",
                "@player 我们战队每周二和周四晚上一起玩{game}。",
                "{game}的坦克又被削了，不过这次我觉得削得合理。",
                "@player 开语音打小队配合，是在{game}里赢的唯一办法。",
                "{game}的狙击枪在开阔地图上太强了。",
                "@player 我用手柄玩{game}，辅助瞄准感觉挺平衡的。",
                "@player {game}的战役很短，但多人模式让我一直回坑。",
                "周六晚上{game}的服务器卡得厉害。",
                "我喜欢{game}更奖励团队合作而不是击杀数。",
                "@player {game}的每周挑战是上线的好理由。",
                "@player {game}匹配一般不到一分钟。",
                "@parent {game}是16+分级，所以比较血腥的场面我会注意一下。",
                "@parent <<她|他>>每周二晚上和班上同学组的战队一起玩。",
                "@parent 我们约定每周玩两个晚上的{game}，执行得还不错。",
            ],
        },
        "mech": {
            "titles": [
                "{game}公测初体验",
                "还在等{game}的测试资格",
                "{game}服务器排队{queue}分钟",
                "{game}测试快结束了，值得玩吗？",
                "{game}：新手用什么机甲？",
            ],
            "sentences": [
                "昨天进了{game}的公测，机甲自定义做得太厉害了。",
                "开测当晚{game}服务器排队排了{queue}分钟。",
                "有人有多余的{game}测试激活码吗？",
                "{game}测试版一局里崩了三次。",
                "在{game}里组装机甲的腿和手臂是最好玩的部分。",
                "{game}像是更重、更慢的竞技场射击游戏，我反而很喜欢。",
                "{game}的测试周末周日就结束了，所以我抓紧时间玩。",
                "测试版{game}里的重型机甲太强了。",
                "{game}测试版在老显卡上优化很差。",
                "希望{game}正式版能保留测试时的进度。",
            ],
            "late": [
                "说实话，测试结束以后我对{game}已经有点腻了。",
                "测试结束以后，我们群里没人再打开过{game}。",
            ],
        },
        "harvest": {
            "titles": [
                "{game}的合作模式也太可爱了",
                "@parent 和<<女儿|儿子>>一起在{game}里种田",
                "{game}终于支持分屏了！",
                "{game}合作模式共享农场有什么技巧？",
                "{game}合作更新：你们怎么分工？",
                "@parent 我们全家在{game}的农场",
            ],
            "teaser_titles": ["{game}要出合作模式了！", "{game}官宣合作模式"],
            "sentences": [
                "{game}的合作更新让最多四个人共享一个农场。",
                "昨晚我们在{game}里开了一个合作农场，一直玩到半夜。",
                "@adult 对象负责浇水，我负责养鸡，超级解压。",
                "{game}的分屏合作在电视上玩效果很好。",
                "这是我们全家第一次一起玩游戏而没有人生气。",
                "@player 我以前对种田游戏不感兴趣，但{game}的合作模式让我入坑了。",
                "一起为秋季庆典种南瓜是我们这周最开心的时刻。",
                "合作模式里的共享储物箱避免了很多争吵。",
                "{game}完全没有战斗，特别适合小孩子。",
                "我喜欢合作模式里每个人都可以各自去钓鱼或者挖矿，时间照样流逝。",
                "我们的合作农场已经有了温室、两头牛和多得离谱的向日葵。",
                "这次合作更新对已经买了{game}的玩家免费。",
                "@parent 吃完晚饭<<她|他>>就跑到电视前看我们的鸡。",
                "@parent <<她|他>>给农场里每头牛都起了名字，一头都不许我卖。",
            ],
            "teaser": [
                "{game}的开发商宣布合作模式下周上线。",
                "听说{game}马上要加四人合作了。",
                "希望{game}的合作模式能支持分屏。",
            ],
        },
    },
}

BANKS: dict[str, dict[str, Any]] = {"en": EN, "pl": PL, "vi": VI, "zh": ZH}
HEROES = ["Kestrel", "Orion", "Vex", "Nyx", "Talon"]
NEW_HERO = "Lyra"

# Posts written once, by hand: the spam burst, the pinned posts without a date, and
# the post that quotes a script tag (escaping test for Datasette and the digest).
SPAM_POSTS = [
    (
        "GlowKeys mega sale — 40% off this week",
        "GlowKeys RGB mechanical keyboards are 40% off this week only! Use code GLOW40 at "
        "checkout.",
    ),
    (
        "Best keyboard deal of the year: GlowKeys",
        "Still looking for a new keyboard? GlowKeys has hot-swappable switches and per-key RGB. "
        "Code GLOW40 saves you 40%.",
    ),
    (
        "GlowKeys restock + 40% off",
        "GlowKeys keyboards are back in stock and 40% off with "
        "code GLOW40. Free shipping on orders over $50!",
    ),
    (
        "Upgrade your setup with GlowKeys",
        "Gamers love GlowKeys! Per-key RGB, wireless, 40% off with GLOW40 until Sunday.",
    ),
    (
        "Last chance: GlowKeys 40% off",
        "Only a few hours left: GlowKeys mechanical keyboards 40% off with code GLOW40.",
    ),
    (
        "GlowKeys x streamers: 40% off",
        "Your favourite streamers use GlowKeys. Get yours 40% off with code GLOW40 today!",
    ),
]
UNDATED_POSTS = {
    "pl_forum": (
        "Regulamin działu — przeczytaj przed pisaniem",
        "<p>Witamy w dziale ogólnym Forum Graczy! Zanim założysz wątek, sprawdź wyszukiwarkę. "
        "Nie publikujemy kluczy do gier ani linków do pirackich kopii. Szanujemy innych "
        "użytkowników — wyzwiska kończą się banem.</p><p>Zespół moderatorów</p>",
    ),
    "en_forum": (
        "Welcome! Please read before posting",
        "<p>Welcome to the Parents Who Game community. Be kind, keep kids' personal details "
        "off the forum, and use the search before starting a new thread.</p>"
        "<ul><li>No selling accounts or keys</li><li>No personal attacks</li>"
        "<li>Spoilers go behind spoiler tags</li></ul><p>Thanks, the mod team</p>",
    ),
}
SCRIPT_POST = (
    "Kid typed code into his game profile — should I worry?",
    "<p>My {age}-year-old son typed <code>&lt;script&gt;alert(1)&lt;/script&gt;</code> into his "
    "Starfall Arena profile bio because a YouTuber said it would \u201chack the game\u201d. "
    "Nothing happened, the bio just shows the text.</p>"
    "<p>Should I be worried that he's trying this stuff, or is it harmless curiosity? He "
    "says he wants to learn programming now.</p>",
)
# Short news items of the aggregator, by topic and week index.
WIRE_NEWS = [
    (
        "mech",
        0,
        "Mech Rivals open beta opens its doors this weekend",
        "The open beta of Mech Rivals starts on Friday. Players can build their own mechs from "
        "dozens of parts; progress will not carry over to the full release.",
    ),
    (
        "mech",
        2,
        "Mech Rivals beta extended by one week",
        "After long server queues at launch, the Mech Rivals team extended the open beta by one "
        "week and added servers in Europe and Asia.",
    ),
    (
        "mech",
        6,
        "Mech Rivals open beta ends; no release date yet",
        "The Mech Rivals open beta closed on Sunday after six weeks. The studio thanked players "
        "and said the full release will come \u201cwhen it is ready\u201d; beta progress will be "
        "wiped.",
    ),
    (
        "iron",
        4,
        "Iron Legion patch 3.2 rebalances tanks and sniper rifles",
        "Iron Legion's autumn patch reduces tank armour and sniper damage on open maps. A new "
        "map, Frostline, arrives next week.",
    ),
    (
        "harvest",
        8,
        "Harvest Hollow announces four-player co-op for next week",
        "Harvest Hollow will get a free co-op update on 17 November: up to four players share one "
        "farm, locally in split-screen or online.",
    ),
    (
        "harvest",
        9,
        "Harvest Hollow co-op update is out now",
        "The free co-op update for Harvest Hollow is live. Early player reactions praise the "
        "split-screen mode and the shared storage chest.",
    ),
    (
        "starfall",
        9,
        "Starfall Arena season Aurora adds a new hero and a report button",
        "Starfall Arena's new season, Aurora, brings the support hero Lyra, a duo queue, a mentor "
        "system for new players and a one-click report button for voice chat.",
    ),
]

# --------------------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------------------


@dataclass
class Post:
    uid: int
    lang: str
    feed: str
    topic: str
    week: int
    author: Author
    when: dt.datetime | None  # UTC; None = the feed gives no date
    title: str
    sentences: list[str]
    html: str = ""
    disclosed: set[str] = field(default_factory=set)  # self_f, self_m, child_f, child_m, ...
    reply_to: int | None = None
    copy_of: int | None = None
    slug: str = ""


TAG = re.compile(r"^@(\w+)\s+")
AUTHOR_MARK = re.compile(r"\[\[([^|\]]*)\|([^\]]*)\]\]")
CHILD_MARK = re.compile(r"<<([^|>]*)\|([^>]*)>>")
SLOT = re.compile(r"\{(\w+)\}")


def allowed(text: str, author: Author) -> bool:
    """Whether a bank entry (with its optional ``@tag``) fits this author."""
    match = TAG.match(text)
    if not match:
        return True
    tag = match.group(1)
    checks = {
        "player": not author.is_parent,
        "parent": author.is_parent,
        "teen": author.age == "teen",
        "adult": author.age != "teen",
        "adult30": author.age == "adult30",
        "adult40": author.age == "adult40",
        "regular": not author.recent_only,
    }
    return checks[tag]


def untag(text: str) -> str:
    return TAG.sub("", text)


class Writer:
    """Fills templates for one post: slots, gender agreement, capitals."""

    def __init__(self, lang: str, author: Author, topic: str, rng: random.Random) -> None:
        self.bank = BANKS[lang]
        self.lang = lang
        self.author = author
        self.rng = rng
        names = self.bank["games"].get(topic) or [("", 1.0)]
        self.game = rng.choices([n for n, _ in names], [w for _, w in names])[0]
        age = author.child_age or rng.randint(9, 13)
        self.values = {
            "game": self.game,
            "hero": rng.choice(HEROES),
            "hero2": NEW_HERO,
            "age": str(age),
            "a_age": f"{'an' if age in (8, 11, 18) else 'a'} {age}",
            "own_age": str(author.own_age or 16),
            "months": str(rng.randint(6, 14)),
            "fps_hi": str(rng.choice([120, 140, 144, 165])),
            "fps_lo": str(rng.choice([60, 70, 75, 80])),
            "queue": str(rng.choice([35, 40, 45, 50])),
        }
        for slot, options in self.bank["slots"].items():
            self.values[slot] = rng.choice(options)

    def fill(self, template: str) -> str:
        text = untag(template)
        female = self.author.gender == "f"
        girl = (self.author.child or "f") == "f"
        text = AUTHOR_MARK.sub(lambda m: m.group(1) if female else m.group(2), text)
        text = CHILD_MARK.sub(lambda m: m.group(1) if girl else m.group(2), text)
        text = SLOT.sub(lambda m: self.values[m.group(1)], text)
        if text and text[0].islower():
            text = text[0].upper() + text[1:]
        return text


def pick(rng: random.Random, options: list[str], author: Author) -> str | None:
    fitting = [o for o in options if allowed(o, author)]
    return rng.choice(fitting) if fitting else None


AUTHOR_CLASSES = ("f", "m", "parent_f", "parent_m")


def allocate(shares: tuple[float, ...], count: int, carry: list[float]) -> list[str]:
    """Exactly ``count`` author classes in the given shares, rounding errors carried on.

    The carry makes the shares exact over a run of weeks (error diffusion), so the
    planted audience mix does not depend on the luck of random draws.
    """
    target = [share * count + c for share, c in zip(shares, carry, strict=True)]
    taken = [max(0, int(t)) for t in target]
    while sum(taken) < count:
        taken[max(range(4), key=lambda i: target[i] - taken[i])] += 1
    while sum(taken) > count:
        taken[min((i for i in range(4) if taken[i]), key=lambda i: target[i] - taken[i])] -= 1
    carry[:] = [t - n for t, n in zip(target, taken, strict=True)]
    return [cls for cls, n in zip(AUTHOR_CLASSES, taken, strict=True) for _ in range(n)]


def audience_key(topic: str, week: int) -> str:
    return f"{topic}_recent" if week == RECENT and f"{topic}_recent" in AUDIENCE else topic


def choose_author(
    rng: random.Random,
    authors: list[Author],
    wanted: str,
    used: Counter[str],
    recent: bool,
) -> Author:
    """An author of the wanted kind (f, m, parent_f, parent_m), preferring fresh faces."""

    def fits(a: Author) -> bool:
        if a.kind in ("mod", "spam") or (a.recent_only and not recent):
            return False
        if wanted in ("f", "m"):
            return not a.is_parent and a.gender == wanted
        return a.is_parent and a.child == wanted[-1]

    pool = [a for a in authors if fits(a)]
    if recent:  # the new season brought new players
        weights = [
            (a.weight + (1.5 if a.recent_only else 0.0)) * 0.15 ** used[a.handle] for a in pool
        ]
    else:
        weights = [a.weight * 0.5 ** used[a.handle] for a in pool]
    choice = rng.choices(pool, weights)[0]
    used[choice.handle] += 1
    return choice


def post_time(rng: random.Random, week: int, lang: str, *, day: int | None = None) -> dt.datetime:
    """A UTC time in the given week at a plausible local hour, 3 h clear of week edges."""
    start = dt.datetime.combine(FIRST_MONDAY, dt.time(), dt.UTC) + dt.timedelta(weeks=week)
    end = start + dt.timedelta(weeks=1)
    while True:
        local_day = rng.randint(0, 6) if day is None else day
        local = start + dt.timedelta(
            days=local_day,
            hours=rng.randint(7, 22),
            minutes=rng.randint(0, 59),
            seconds=rng.randint(0, 59),
        )
        when = local - utc_offset(lang, local)
        if start + dt.timedelta(hours=3) <= when <= end - dt.timedelta(hours=3):
            return when


def utc_offset(lang: str, when: dt.datetime) -> dt.timedelta:
    """Local UTC offset of the language's sites (Warsaw, Hanoi, Shanghai, New York)."""
    if lang == "pl":  # CEST until Sunday 25 October 2026 01:00 UTC
        return dt.timedelta(hours=2 if when < dt.datetime(2026, 10, 25, 1, tzinfo=dt.UTC) else 1)
    if lang == "en":  # EDT until Sunday 1 November 2026 06:00 UTC
        return dt.timedelta(hours=-4 if when < dt.datetime(2026, 11, 1, 6, tzinfo=dt.UTC) else -5)
    return dt.timedelta(hours=7 if lang == "vi" else 8)


def compose(post: Post, rng: random.Random) -> None:
    """Write the title and sentences of a generated post."""
    author, lang, topic, week = post.author, post.lang, post.topic, post.week
    bank = BANKS[lang]
    tb = bank["topics"][topic]
    writer = Writer(lang, author, topic, rng)
    recent = week == RECENT

    pool = [s for s in tb["sentences"] if allowed(s, author)]
    titles = [t for t in tb["titles"] if allowed(t, author)]
    if topic == "starfall" and recent:
        fresh = [s for s in tb["recent"] if allowed(s, author)]
        pool = fresh + rng.sample(pool, min(len(pool), 6))
        titles = [t for t in tb["recent_titles"] if allowed(t, author)] + titles[:2]
    elif topic == "harvest" and not recent:
        pool = list(tb["teaser"])
        titles = list(tb["teaser_titles"])
    elif topic == "mech" and week >= 6:
        pool = pool + tb["late"] * 2
    blog = FEED_BY_KEY[post.feed].kind == "blog"
    count = rng.choice([4, 5, 5, 6]) if blog else rng.choice([2, 3, 3, 4])
    body = [writer.fill(s) for s in rng.sample(pool, min(count, len(pool)))]

    disclosures: list[str] = []
    in_game = topic in GAME_TOPICS
    if author.is_parent and (topic == "parenting" or in_game):
        key = "child_game" if in_game and topic != "harvest" else "child"
        line = pick(rng, bank[key], author)
        if line:
            disclosures.append(writer.fill(line))
            post.disclosed.add(f"child_{author.child}")
        if topic == "parenting" and rng.random() < 0.45:
            disclosures.append(
                writer.fill(rng.choice(bank["mom" if author.gender == "f" else "dad"]))
            )
            post.disclosed.add(f"self_{author.gender}")
            post.disclosed.add("parent")
    elif author.kind in ("player", "editor") and topic != "parenting":
        if rng.random() < DISCLOSE[audience_key(topic, week)]:
            key = ("female" if author.gender == "f" else "male") + ("_game" if in_game else "")
            line = pick(rng, bank[key], author)
            if line:
                disclosures.append(writer.fill(line))
                post.disclosed.add(f"self_{author.gender}")
        age_chance = 0.35 if author.age == "teen" else 0.1
        if rng.random() < age_chance:
            line = pick(rng, bank["teen_age" if author.age == "teen" else "adult_age"], author)
            if line:
                disclosures.append(writer.fill(line))
                post.disclosed.add(author.age)

    sentences = list(body)
    if disclosures:
        where = 0 if (author.is_parent or rng.random() < 0.6) else 1
        sentences[where:where] = disclosures
    if not blog and rng.random() < 0.35:
        sentences.insert(0, writer.fill(rng.choice(bank["openers"])))
    if not blog and rng.random() < 0.45:
        sentences.append(writer.fill(rng.choice(bank["closers"])))
    post.sentences = sentences
    post.title = writer.fill(rng.choice(titles))


def generate(seed: int = SEED) -> tuple[list[Post], dict[str, list[Author]]]:
    """All demo posts, deterministic for a seed."""
    rng = random.Random(seed)
    authors = build_authors(rng)
    posts: list[Post] = []
    uid = 1000

    def new_post(**kwargs: Any) -> Post:
        nonlocal uid
        uid += 7
        post = Post(uid=uid, **kwargs)
        posts.append(post)
        return post

    carry: dict[str, list[float]] = defaultdict(lambda: [0.0] * 4)
    for topic, counts in SCHEDULE.items():
        for week, count in enumerate(counts):
            langs = [LANGS[(i + week + len(topic)) % 4] for i in range(count)]
            rng.shuffle(langs)
            used: Counter[str] = Counter()
            key = audience_key(topic, week)
            classes = allocate(AUDIENCE[key], count, carry[key])
            rng.shuffle(classes)
            for lang, wanted in zip(langs, classes, strict=True):
                use_blog = rng.random() < BLOG_SHARE[topic] * (0.6 if week == RECENT else 1)
                feed = f"{lang}_blog" if use_blog else f"{lang}_forum"
                author = choose_author(rng, authors[feed], wanted, used, week == RECENT)
                post = new_post(
                    lang=lang,
                    feed=feed,
                    topic=topic,
                    week=week,
                    author=author,
                    when=post_time(rng, week, lang),
                    title="",
                    sentences=[],
                )
                compose(post, rng)

    plant_specials(rng, authors, new_post)
    make_replies(rng, posts)
    syndicate(rng, posts, new_post)
    posts.sort(key=lambda p: (p.when or dt.datetime.max.replace(tzinfo=dt.UTC), p.uid))
    for post in posts:
        post.html = post.html or render_html(post, rng)
        post.slug = slugify(post.title, post.uid)
    return posts, authors


def plant_specials(rng: random.Random, authors: dict[str, list[Author]], new_post: Any) -> None:
    """The spam burst, the undated pinned posts, the script-tag post, the wire news."""
    spammer = next(a for a in authors["en_forum"] if a.kind == "spam")
    for day, (title, text) in enumerate(SPAM_POSTS):
        new_post(
            lang="en",
            feed="en_forum",
            topic="spam",
            week=RECENT,
            author=spammer,
            when=post_time(rng, RECENT, "en", day=day),
            title=title,
            sentences=[text],
        )
    for feed, (title, body) in UNDATED_POSTS.items():
        lang = feed[:2]
        mod = next(a for a in authors[feed] if a.kind == "mod")
        new_post(
            lang=lang,
            feed=feed,
            topic="meta",
            week=-1,
            author=mod,
            when=None,
            title=title,
            sentences=[],
            html=body,
        )
    parent = next(a for a in authors["en_forum"] if a.is_parent and a.child == "m")
    title, body = SCRIPT_POST
    post = new_post(
        lang="en",
        feed="en_forum",
        topic="starfall",
        week=6,
        author=parent,
        when=post_time(rng, 6, "en"),
        title=title,
        sentences=[],
        html=body.format(age=parent.child_age),
    )
    post.disclosed.add("child_m")
    wire = authors["en_wire"][0]
    for topic, week, title, text in WIRE_NEWS:
        new_post(
            lang="en",
            feed="en_wire",
            topic=topic,
            week=week,
            author=wire,
            when=post_time(rng, week, "en"),
            title=title,
            sentences=[text],
        )


def make_replies(rng: random.Random, posts: list[Post]) -> None:
    """Forum posts that answer an earlier thread of the same topic get a reply title."""
    threads: dict[tuple[str, str], list[Post]] = defaultdict(list)
    for post in sorted(posts, key=lambda p: p.when or dt.datetime.min.replace(tzinfo=dt.UTC)):
        if FEED_BY_KEY[post.feed].kind != "forum" or post.topic in ("spam", "meta"):
            continue
        earlier = [
            p
            for p in threads[(post.feed, post.topic)]
            if post.when and p.when and (post.when - p.when).days <= 10
        ]
        if earlier and rng.random() < 0.3:
            parent = rng.choice(earlier)
            root = parent.reply_to or parent.uid
            root_title = next(p.title for p in posts if p.uid == root)
            post.reply_to = root
            post.title = BANKS[post.lang]["reply"].format(title=root_title)
        else:
            threads[(post.feed, post.topic)].append(post)


def syndicate(rng: random.Random, posts: list[Post], new_post: Any) -> None:
    """Near-duplicate copies: Controller Corner articles on GameWire, one Chinese repost."""
    originals = [
        p for p in posts if p.feed == "en_blog" and p.topic in ("gear", "starfall", "deals", "pc")
    ]
    for original in rng.sample(originals, 4):
        copy_to(original, "en_wire", rng, new_post)
    zh_originals = [p for p in posts if p.feed == "zh_blog" and p.topic in ("gear", "pc")]
    copy_to(rng.choice(zh_originals), "zh_forum", rng, new_post)


def copy_to(original: Post, feed: str, rng: random.Random, new_post: Any) -> None:
    spec = FEED_BY_KEY[original.feed]
    title_tpl, footer_tpl = BANKS[original.lang]["repost"]
    sentences = original.sentences[:-1] if len(original.sentences) > 3 else original.sentences
    author = original.author
    assert original.when is not None
    copy = new_post(
        lang=original.lang,
        feed=feed,
        topic=original.topic,
        week=original.week,
        author=author,
        when=original.when + dt.timedelta(hours=rng.randint(3, 20)),
        title=title_tpl.format(site=spec.name, title=original.title),
        sentences=[*sentences, footer_tpl.format(site=spec.name)],
    )
    copy.copy_of = original.uid
    copy.disclosed = set(original.disclosed)


# --------------------------------------------------------------------------------------
# HTML and feeds
# --------------------------------------------------------------------------------------


def render_html(post: Post, rng: random.Random) -> str:
    """The post body as real-world-ish HTML: paragraphs, emphasis, links, lists, entities."""
    spec = FEED_BY_KEY[post.feed]
    joiner = BANKS[post.lang]["joiner"]
    sentences = [html.escape(s, quote=False) for s in post.sentences]
    game = next(
        (
            g
            for g, _ in BANKS[post.lang]["games"].get(post.topic, [])
            if any(g in s for s in post.sentences)
        ),
        None,
    )
    if game and rng.random() < 0.4:
        name = html.escape(game)
        first = next(i for i, s in enumerate(sentences) if name in s)
        sentences[first] = sentences[first].replace(name, f"<strong>{name}</strong>", 1)
    groups: list[list[str]] = []
    if spec.kind == "blog" and len(sentences) >= 4:
        cut = rng.randint(2, len(sentences) - 2)
        groups = [sentences[:cut], sentences[cut:]]
    elif len(sentences) >= 3 and rng.random() < 0.5:
        groups = [sentences[:1], sentences[1:]]
    else:
        groups = [sentences]
    parts = [f"<p>{joiner.join(g)}</p>" for g in groups]
    if spec.kind == "blog" and rng.random() < 0.35:
        tag_slug = post.topic
        more = {
            "pl": "Więcej wpisów z tej kategorii",
            "vi": "Xem thêm bài cùng chủ đề",
            "zh": "更多同类文章",
            "en": "More posts like this",
        }[post.lang]
        parts.append(f'<p><a href="{spec.site}tag/{tag_slug}/">{more}</a> &rarr;</p>')
    if spec.kind == "forum" and post.reply_to and rng.random() < 0.5:
        parts.insert(0, f'<p><a href="{spec.site}t/{post.reply_to}/">#{post.reply_to}</a></p>')
    if spec.kind == "blog" and rng.random() < 0.2:
        parts.append(f'<p><img src="{spec.site}img/{post.uid}.jpg" alt=""></p>')
    return "\n".join(parts)


def slugify(title: str, uid: int) -> str:
    ascii_title = unicodedata.normalize(
        "NFKD", title.replace("ł", "l").replace("Ł", "L").replace("đ", "d").replace("Đ", "D")
    )
    ascii_title = ascii_title.encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", ascii_title)
    return "-".join(words[:8]) or str(uid)


def plain_text(post: Post) -> str:
    """The post as text (what the crawler should store), for the summary and dedupe check."""
    return re.sub(r"<[^>]+>", " ", html.unescape(post.html))


def summary_of(post: Post) -> str:
    joiner = BANKS[post.lang]["joiner"]
    first = post.sentences[:1] if post.sentences else [plain_text(post)[:120]]
    return joiner.join(first) + ("…" if len(post.sentences) > 1 else "")


def local_time(post: Post) -> dt.datetime:
    assert post.when is not None
    return post.when.astimezone(dt.timezone(utc_offset(post.lang, post.when)))


def post_link(post: Post) -> str:
    spec = FEED_BY_KEY[post.feed]
    if spec.kind == "forum":
        thread = post.reply_to or post.uid
        if spec.format == "rdf":
            return f"{spec.site}viewtopic.php?t={thread}&p={post.uid}"
        return f"{spec.site}t/{thread}/{post.uid}"
    if spec.kind == "aggregator":
        return f"{spec.site}story/{post.uid}/"
    assert post.when is not None
    return f"{spec.site}{post.when:%Y/%m}/{post.slug}/"


def rss2_feed(spec: FeedSpec, posts: list[Post]) -> str:
    """RSS 2.0 with dc:creator, optional content:encoded (CDATA), RFC 822 dates."""
    items = []
    for post in posts:
        lines = [
            f"    <title>{xml_escape(post.title)}</title>",
            f"    <link>{xml_escape(post_link(post))}</link>",
            f'    <guid isPermaLink="false">{spec.key}-{post.uid}</guid>',
            f"    <dc:creator>{xml_escape(post.author.handle)}</dc:creator>",
        ]
        if post.when:
            lines.append(f"    <pubDate>{format_datetime(local_time(post))}</pubDate>")
        if spec.full_content:
            lines.append(f"    <description>{xml_escape(summary_of(post))}</description>")
            lines.append(f"    <content:encoded><![CDATA[{post.html}]]></content:encoded>")
        else:
            lines.append(f"    <description>{xml_escape(post.html)}</description>")
        if post.topic not in ("spam", "meta"):
            lines.append(f"    <category>{xml_escape(post.topic)}</category>")
        items.append("  <item>\n" + "\n".join(lines) + "\n  </item>")
    newest = max(p.when for p in posts if p.when)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
        f"  <title>{xml_escape(spec.title)}</title>\n"
        f"  <link>{spec.site}</link>\n"
        f"  <description>{xml_escape(spec.description)}</description>\n"
        f"  <language>{spec.lang}</language>\n"
        f"  <lastBuildDate>{format_datetime(newest)}</lastBuildDate>\n"
        "  <generator>scripts/make_demo_feeds.py</generator>\n"
        + "\n".join(items)
        + "\n</channel>\n</rss>\n"
    )


def atom_feed(spec: FeedSpec, posts: list[Post]) -> str:
    """Atom 1.0 with xml:base, author names, published/updated, html content or summary."""
    entries = []
    for post in posts:
        lines = [
            f"    <id>tag:{spec.key.replace('_', '-')}.demo,2026:{post.uid}</id>",
            f"    <title>{xml_escape(post.title)}</title>",
            f'    <link rel="alternate" type="text/html" href={quoteattr(post_link(post))}/>',
            f"    <author><name>{xml_escape(post.author.handle)}</name></author>",
        ]
        if post.when:
            stamp = local_time(post).isoformat()
            lines.append(f"    <published>{stamp}</published>")
            lines.append(f"    <updated>{stamp}</updated>")
        kind = "content" if spec.full_content else "summary"
        lines.append(f'    <{kind} type="html">{xml_escape(post.html)}</{kind}>')
        entries.append("  <entry>\n" + "\n".join(lines) + "\n  </entry>")
    newest = max(p.when for p in posts if p.when)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{spec.lang}" '
        f'xml:base="{spec.site}">\n'
        f"  <id>tag:{spec.key.replace('_', '-')}.demo,2026:feed</id>\n"
        f"  <title>{xml_escape(spec.title)}</title>\n"
        f"  <subtitle>{xml_escape(spec.description)}</subtitle>\n"
        '  <link rel="alternate" href="./"/>\n'
        f"  <updated>{newest.isoformat().replace('+00:00', 'Z')}</updated>\n"
        + "\n".join(entries)
        + "\n</feed>\n"
    )


def rdf_feed(spec: FeedSpec, posts: list[Post]) -> str:
    """RSS 1.0 (RDF) with dc:creator and dc:date; description carries escaped HTML."""
    abouts = [post_link(p) for p in posts]
    items = []
    for post, about in zip(posts, abouts, strict=True):
        lines = [
            f"    <title>{xml_escape(post.title)}</title>",
            f"    <link>{xml_escape(about)}</link>",
            f"    <description>{xml_escape(post.html)}</description>",
            f"    <dc:creator>{xml_escape(post.author.handle)}</dc:creator>",
        ]
        if post.when:
            lines.append(f"    <dc:date>{local_time(post).isoformat()}</dc:date>")
        items.append(f"  <item rdf:about={quoteattr(about)}>\n" + "\n".join(lines) + "\n  </item>")
    seq = "\n".join(f"        <rdf:li rdf:resource={quoteattr(a)}/>" for a in abouts)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">\n'
        f'  <channel rdf:about="{spec.site}">\n'
        f"    <title>{xml_escape(spec.title)}</title>\n"
        f"    <link>{spec.site}</link>\n"
        f"    <description>{xml_escape(spec.description)}</description>\n"
        f"    <dc:language>{spec.lang}</dc:language>\n"
        f"    <items>\n      <rdf:Seq>\n{seq}\n      </rdf:Seq>\n    </items>\n"
        "  </channel>\n" + "\n".join(items) + "\n</rdf:RDF>\n"
    )


WRITERS = {"rss2": rss2_feed, "atom": atom_feed, "rdf": rdf_feed}

# --------------------------------------------------------------------------------------
# Answer key
# --------------------------------------------------------------------------------------


def week_label(week: int) -> str:
    monday = FIRST_MONDAY + dt.timedelta(weeks=week)
    iso = monday.isocalendar()
    return f"{iso.year}-W{iso.week:02d}"


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided Fisher's exact test p-value for the 2x2 table [[a, b], [c, d]]."""
    row1, col1, total = a + b, a + c, a + b + c + d

    def prob(x: int) -> float:
        return math.comb(col1, x) * math.comb(total - col1, row1 - x) / math.comb(total, row1)

    observed = prob(a)
    lowest, highest = max(0, row1 + col1 - total), min(row1, col1)
    return min(
        1.0, sum(p for x in range(lowest, highest + 1) if (p := prob(x)) <= observed * (1 + 1e-9))
    )


def audience_table(posts: list[Post], topic: str) -> list[str]:
    """Author-level counts of disclosed gender, baseline weeks vs the recent week."""
    rows = []
    counts: list[tuple[int, int, int, int]] = []
    for label, weeks in (
        ("baseline (8 weeks before)", range(RECENT - 8, RECENT)),
        ("recent (16-22 Nov)", range(RECENT, RECENT + 1)),
    ):
        chosen = [p for p in posts if p.topic == topic and p.week in weeks and p.copy_of is None]
        self_f = {(p.feed, p.author.handle) for p in chosen if "self_f" in p.disclosed}
        self_m = {(p.feed, p.author.handle) for p in chosen if "self_m" in p.disclosed}
        kid_f = {(p.feed, p.author.handle) for p in chosen if "child_f" in p.disclosed}
        kid_m = {(p.feed, p.author.handle) for p in chosen if "child_m" in p.disclosed}
        authors = {(p.feed, p.author.handle) for p in chosen}
        known_self = len(self_f) + len(self_m)
        known_all = known_self + len(kid_f) + len(kid_m)
        female_all = len(self_f) + len(kid_f)
        rows.append(
            f"| {label} | {len(chosen)} | {len(authors)} | {len(self_f)} | {len(self_m)} | "
            f"{pct(len(self_f), known_self)} | {len(kid_f)} | {len(kid_m)} | "
            f"{pct(female_all, known_all)} |"
        )
        counts.append((len(self_f), len(self_m), female_all, known_all - female_all))
    (bf, bm, bfa, bma), (rf, rm, rfa, rma) = counts
    rows.append(
        f"| Fisher's exact test, two-sided | | | | | p = {fisher_exact(bf, bm, rf, rm):.1e} "
        f"| | | p = {fisher_exact(bfa, bma, rfa, rma):.1e} |"
    )
    return rows


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def answer_key(posts: list[Post], seed: int) -> str:
    """README.md for demo_data: what is planted where, with this run's exact figures."""
    per_feed = Counter(p.feed for p in posts)
    authors_feed = {k: len({p.author.handle for p in posts if p.feed == k}) for k in per_feed}
    undated = [p for p in posts if p.when is None]
    copies = [p for p in posts if p.copy_of is not None]
    by_uid = {p.uid: p for p in posts}
    script = next(p for p in posts if "alert(1)" in p.html)
    lines = [
        "# Demo data: what is planted where (the answer key)",
        "",
        "Generated by `python scripts/make_demo_feeds.py` (seed "
        f"{seed}; deterministic: running it again gives the same bytes). Do not edit by hand: "
        "change the generator and re-run it. `trendscout demo` serves this folder on "
        "127.0.0.1, crawls it and analyses it as of **Sunday 2026-11-22**: the recent window "
        "is Monday 16 to Sunday 22 November 2026 (ISO week 2026-W47), the baseline the eight "
        "weeks before it (W39-W46). The data begins on Monday 14 September 2026 (W38).",
        "",
        f"{len(posts)} posts in {len(FEEDS)} feeds, by players and parents talking about "
        "video games and gaming gear, in Polish, Vietnamese, Chinese and English. Texts are "
        "composed from hand-written sentences per language (with gender agreement in Polish), "
        "so some sentences recur across posts, as they would on real forums.",
        "",
        "## Feeds",
        "",
        "| source name | language | format | file | posts | authors |",
        "|---|---|---|---|---|---|",
    ]
    for spec in FEEDS:
        fmt = {"rss2": "RSS 2.0", "atom": "Atom 1.0", "rdf": "RSS 1.0 (RDF)"}[spec.format]
        extra = ", full text in content" if spec.full_content else ""
        lines.append(
            f"| {spec.name} | {spec.lang} | {fmt}{extra} | `{spec.path}` | {per_feed[spec.key]} "
            f"| {authors_feed[spec.key]} |"
        )
    lines += [
        "",
        "Real-world details on purpose: links are relative (resolved against the feed URL, "
        "Atom feeds also carry `xml:base`), dates carry local UTC offsets (Warsaw CEST/CET, "
        "New York EDT/EST, +07:00, +08:00), RSS 1.0 dates are `dc:date`, RSS 2.0 feeds "
        "name authors with `dc:creator`, blog feeds have a short `description` and the full "
        "HTML in `content:encoded`, bodies contain paragraphs, `<strong>`, links, images and "
        "entities, and forum posts reply to threads (`Re: ...`, `回复：...`).",
        "",
        "## Topics per ISO week (all languages; the last column is the recent window)",
        "",
        "| topic | " + " | ".join(week_label(w)[5:] for w in range(WEEKS)) + " | planted as |",
        "|---|" + "---|" * WEEKS + "---|",
    ]
    role = {
        "harvest": "**emerging** (co-op update released 17 Nov; two teaser weeks before)",
        "mech": "**fading** (open beta from mid-September to late October; talk dies off in "
        "November)",
        "starfall": "steady volume that grows in the recent week; **audience shift**",
        "iron": "steady; **control** for the audience shift",
    }
    for topic in SCHEDULE:
        counts = Counter(p.week for p in posts if p.topic == topic)
        cells = " | ".join(str(counts.get(w, 0)) for w in range(WEEKS))
        lines.append(f"| {topic} | {cells} | {role.get(topic, 'steady background')} |")
    lines += ["", "What each topic is about:", ""]
    lines += [f"- `{k}`: {v}" for k, v in TOPIC_LABELS.items()]
    lang_rows = []
    for topic in ("harvest", "mech", "starfall"):
        window = [RECENT] if topic != "mech" else list(range(0, 4))
        counts = Counter(p.lang for p in posts if p.topic == topic and p.week in window)
        authors = len(
            {(p.feed, p.author.handle) for p in posts if p.topic == topic and p.week in window}
        )
        where = "recent week" if topic != "mech" else "first four weeks"
        lang_rows.append(
            f"- `{topic}` in the {where}: "
            + ", ".join(f"{lang} {counts[lang]}" for lang in LANGS)
            + f" posts; {authors} distinct authors"
        )
    lines += [
        "",
        "Every planted topic appears in all four languages:",
        "",
        *lang_rows,
        "",
        "## Watched products (the demo's sources.yml `watch:` list)",
        "",
        "| name | aliases used in the posts |",
        "|---|---|",
        *[f"| {w['name']} | {', '.join(w['aliases'])} |" for w in WATCH],
        "",
        "Polish posts mostly write the English names (the aliases appear in the nominative "
        "only); Vietnamese posts mix the English and Vietnamese names; Chinese posts mostly "
        "use the Chinese names. The Starfall Arena heroes are Kestrel, Orion, Vex, Nyx and "
        "Talon; the new season (Aurora, from 16 November) adds Lyra, a duo queue, a mentor "
        "system and a report button for voice chat.",
        "",
        "## The audience shift: Starfall Arena (and the Iron Legion control)",
        "",
        "In the recent week many more girls and women write about Starfall Arena "
        "(self-disclosure such as *as a girl who games*, *jako dziewczyna*, *là con gái*, "
        "*作为一个女生*) and more parents write about their daughters (*my daughter plays*, "
        "*moja córka gra*, *con gái tôi chơi*, *我女儿…玩*); many of these authors are new to "
        "the forums. Iron Legion's audience mix stays the same. Counts are distinct authors "
        "(source + handle) who disclosed a gender in at least one post of the window "
        "(syndicated copies excluded):",
        "",
        "| Starfall Arena | posts | authors | girls/women (self) | boys/men (self) | "
        "female share, self | daughters | sons | female share, incl. children |",
        "|---|---|---|---|---|---|---|---|---|",
        *audience_table(posts, "starfall"),
        "",
        "| Iron Legion | posts | authors | girls/women (self) | boys/men (self) | "
        "female share, self | daughters | sons | female share, incl. children |",
        "|---|---|---|---|---|---|---|---|---|",
        *audience_table(posts, "iron"),
        "",
        "Parents in the game topics always say whether they write about a daughter or a son; "
        "in the parenting topic some also say *as a mom* / *as a dad*. Some teenagers state "
        "their age (*I'm 15*, *mam 15 lat*, *mình 15 tuổi*, *我今年15岁*); some adults say "
        "they are in their thirties or forties.",
        "",
        "## Traps the analysis must not fall for",
        "",
        f"- **Spam burst**: `{SPAMMER}` posts {len(SPAM_POSTS)} near-identical GlowKeys "
        "keyboard ads in the recent week on Parents Who Game. One author: not a trend.",
        "- **Near-duplicate syndicated copies** (same text with a source line added and the "
        "last sentence cut, a different title prefix and id):",
    ]
    for copy in copies:
        original = by_uid[copy.copy_of or 0]
        lines.append(
            f"  - {FEED_BY_KEY[copy.feed].name} item {copy.uid} copies "
            f"{FEED_BY_KEY[original.feed].name} item {original.uid} (\u201c{original.title}\u201d)"
        )
    lines += [
        f"- **Entries without a date** ({len(undated)}): "
        + "; ".join(f"{FEED_BY_KEY[p.feed].name}: \u201c{p.title}\u201d" for p in undated)
        + ". The crawler stores them with the time it first saw them (`date_estimated` = 1), "
        "so they fall outside the analysis windows.",
        f"- **Markup as text**: Parents Who Game item {script.uid} (\u201c{script.title}\u201d, "
        f"{week_label(script.week)}) quotes `<script>alert(1)</script>` as text; stored text "
        "must contain it literally, and Datasette and the digest must show it escaped, never "
        "run it.",
        "- **News items** on GameWire Digest (by `GameWire staff`) announce the Mech Rivals "
        "beta, the Harvest Hollow co-op update and the Starfall Arena season.",
        "",
        "## Files",
        "",
        "- `feeds.json`: the manifest `trendscout demo` builds its sources.yml from (source "
        "names, paths, languages, the watch list and the analysis date).",
        "- `robots.txt`: served by the demo server (one disallowed path, as on real sites).",
        "- `index.html`: a page listing the feeds, for people who open the server in a browser.",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------

ROBOTS_TXT = "User-agent: *\nDisallow: /private/\nDisallow: /pl/forum-graczy/admin/\n"


def manifest() -> dict[str, Any]:
    return {
        "as_of": AS_OF.isoformat(),
        "sources": [
            {"name": s.name, "path": s.path, "language": s.lang, "format": s.format, "kind": s.kind}
            for s in FEEDS
        ],
        "watch": WATCH,
    }


def index_html() -> str:
    links = "\n".join(
        f'<li><a href="/{s.path}">{html.escape(s.title)}</a> ({s.lang}, {s.format})</li>'
        for s in FEEDS
    )
    alternates = "\n".join(
        f'<link rel="alternate" type="application/{"atom" if s.format == "atom" else "rss"}+xml"'
        f' title="{html.escape(s.title)}" href="/{s.path}">'
        for s in FEEDS
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n'
        "<title>trendscout demo sources</title>\n" + alternates + "\n</head><body>\n"
        "<h1>trendscout demo sources</h1>\n<ul>\n" + links + "\n</ul>\n</body></html>\n"
    )


def write_all(out: Path, seed: int = SEED) -> list[Post]:
    """Generate everything into ``out``; returns the posts."""
    posts, _ = generate(seed)
    out.mkdir(parents=True, exist_ok=True)
    for spec in FEEDS:
        feed_posts = sorted(
            (p for p in posts if p.feed == spec.key),
            key=lambda p: (p.when is not None, p.when, p.uid),
            reverse=True,
        )
        target = out / spec.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(WRITERS[spec.format](spec, feed_posts), encoding="utf-8")
    (out / "feeds.json").write_text(
        json.dumps(manifest(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    (out / "robots.txt").write_text(ROBOTS_TXT, encoding="utf-8")
    (out / "index.html").write_text(index_html(), encoding="utf-8")
    (out / "README.md").write_text(answer_key(posts, seed), encoding="utf-8")
    return posts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    default_out = Path(__file__).resolve().parent.parent / "pipelines" / "demo_data"
    parser.add_argument("--out", type=Path, default=default_out, help="output folder")
    parser.add_argument("--seed", type=int, default=SEED, help="random seed")
    args = parser.parse_args()
    posts = write_all(args.out, args.seed)
    size = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
    print(f"wrote {len(posts)} posts in {len(FEEDS)} feeds to {args.out} ({size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
