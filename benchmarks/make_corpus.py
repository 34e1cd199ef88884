"""Seeded generator of synthetic multilingual posts with planted trends.

Posts about steady background themes (football, cooking, travel, music, phones, fitness and
a steady game, "Pixel Farm") in English, Polish, Vietnamese and Chinese, spread over the
baseline weeks and the recent week ending on ``as_of``, plus planted trends:

* ``starfall``: the game "Starfall Arena" (Chinese alias 星落竞技场), rare in the baseline and
  frequent in the recent week, in every language: the planted emerging trend;
* ``nebula``: the game "Nebula Racer" (Chinese alias 星云赛车), common in the baseline and
  rare in the recent week: the planted fading trend.

Counts per theme, language and week are Poisson draws around the theme's rate, and authors
are drawn from large per-language pools with a Zipf-like activity, so steady themes really
are steady (up to chance) and false alarms can be measured. ``plant=False`` gives a corpus
with no planted trend at all (for false-alarm rates). A spammer (one author posting a made-up
word many times in the recent week) can be added with ``spam_posts``.

Run ``python benchmarks/make_corpus.py --posts 100000 --db corpus.db`` to write a
trendscout database (plus ``--config sources.yml`` for a matching watch list).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

LANGUAGES = ("en", "pl", "vi", "zh")

# fmt: off
# Theme → language → content words. Short, natural words that each language's tokenizer keeps.

THEMES: dict[str, dict[str, list[str]]] = {
    "football": {
        "en": ["football", "match", "goal", "coach", "league", "striker", "fans", "stadium",
               "penalty", "referee", "transfer", "midfield", "season", "defender", "score"],
        "pl": ["piłka", "mecz", "bramka", "trener", "liga", "napastnik", "kibice", "stadion",
               "rzut karny", "sędzia", "transfer", "pomocnik", "obrońca", "wynik", "drużyna"],
        "vi": ["bóng đá", "trận đấu", "bàn thắng", "huấn luyện viên", "giải đấu", "tiền đạo",
               "cổ động viên", "sân vận động", "phạt đền", "trọng tài", "chuyển nhượng", "hậu vệ",
               "tỉ số", "đội bóng", "cầu thủ"],
        "zh": ["足球", "比赛", "进球", "教练", "联赛", "前锋", "球迷", "球场", "点球", "裁判",
               "转会", "中场", "后卫", "比分",
               "球队"],
    },
    "cooking": {
        "en": ["recipe", "soup", "garlic", "oven", "noodles", "dinner", "sauce", "chicken",
               "spices", "baking", "flour", "kitchen", "dumplings", "salad", "vegetables"],
        "pl": ["przepis", "zupa", "czosnek", "piekarnik", "makaron", "obiad", "sos", "kurczak",
               "przyprawy", "pieczenie", "mąka", "kuchnia", "pierogi", "sałatka", "warzywa"],
        "vi": ["công thức", "canh", "tỏi", "lò nướng", "phở", "bữa tối", "nước sốt", "thịt gà",
               "gia vị", "nướng bánh", "bột mì", "nhà bếp", "bánh bao", "rau củ", "nấu ăn"],
        "zh": ["食谱", "汤", "大蒜", "烤箱", "面条", "晚饭", "酱汁", "鸡肉", "香料", "烘焙",
               "面粉", "厨房", "饺子", "沙拉",
               "蔬菜"],
    },
    "travel": {
        "en": ["travel", "flight", "hotel", "beach", "passport", "luggage", "museum", "island",
               "tickets", "mountains", "airport", "tour", "booking", "hostel", "sightseeing"],
        "pl": ["podróż", "lot", "hotel", "plaża", "paszport", "bagaż", "muzeum", "wyspa", "bilety",
               "góry", "lotnisko", "wycieczka", "rezerwacja", "hostel", "zwiedzanie"],
        "vi": ["du lịch", "chuyến bay", "khách sạn", "bãi biển", "hộ chiếu", "hành lý", "bảo tàng",
               "hòn đảo", "vé máy bay", "núi", "sân bay", "tham quan", "đặt phòng", "nhà nghỉ",
               "phong cảnh"],
        "zh": ["旅行", "航班", "酒店", "海滩", "护照", "行李", "博物馆", "岛屿", "机票", "山区",
               "机场", "旅游", "预订", "民宿",
               "景点"],
    },
    "music": {
        "en": ["concert", "album", "singer", "guitar", "festival", "playlist", "band", "lyrics",
               "drummer", "vinyl", "tour dates", "chorus", "melody", "rapper", "single"],
        "pl": ["koncert", "album", "piosenkarka", "gitara", "festiwal", "playlista", "zespół",
               "tekst", "perkusista", "winyl", "trasa", "refren", "melodia", "raper", "singiel"],
        "vi": ["buổi hòa nhạc", "album", "ca sĩ", "đàn ghi ta", "lễ hội", "danh sách phát",
               "ban nhạc", "lời bài hát", "tay trống", "đĩa than", "điệp khúc", "giai điệu",
               "rapper", "bài hát", "âm nhạc"],
        "zh": ["演唱会", "专辑", "歌手", "吉他", "音乐节", "歌单", "乐队", "歌词", "鼓手", "黑胶",
               "巡演", "副歌", "旋律",
               "说唱", "单曲"],
    },
    "phones": {
        "en": ["smartphone", "battery", "camera", "screen", "charger", "android", "update",
               "processor", "storage", "wireless", "headphones", "display", "laptop", "tablet",
               "firmware"],
        "pl": ["smartfon", "bateria", "aparat", "ekran", "ładowarka", "android", "aktualizacja",
               "procesor", "pamięć", "bezprzewodowe", "słuchawki", "wyświetlacz", "laptop",
               "tablet", "oprogramowanie"],
        "vi": ["điện thoại", "pin", "máy ảnh", "màn hình", "bộ sạc", "android", "cập nhật",
               "bộ xử lý", "bộ nhớ", "không dây", "tai nghe", "máy tính bảng", "laptop",
               "phần mềm", "sạc nhanh"],
        "zh": ["手机", "电池", "相机", "屏幕", "充电器", "安卓", "系统更新", "处理器", "存储",
               "无线", "耳机", "显示屏", "笔记本",
               "平板", "固件"],
    },
    "fitness": {
        "en": ["workout", "gym", "running", "yoga", "protein", "marathon", "stretching", "muscles",
               "cardio", "trainer", "weights", "cycling", "swimming", "diet", "endurance"],
        "pl": ["trening", "siłownia", "bieganie", "joga", "białko", "maraton", "rozciąganie",
               "mięśnie", "kardio", "trenerka", "ciężary", "rower", "pływanie", "dieta",
               "wytrzymałość"],
        "vi": ["tập luyện", "phòng gym", "chạy bộ", "yoga", "protein", "marathon", "giãn cơ",
               "cơ bắp", "cardio", "huấn luyện", "tạ", "đạp xe", "bơi lội", "ăn kiêng", "sức bền"],
        "zh": ["健身", "健身房", "跑步", "瑜伽", "蛋白质", "马拉松", "拉伸", "肌肉", "有氧",
               "教练员", "哑铃", "骑行", "游泳",
               "饮食", "耐力"],
    },
    "pixelfarm": {
        "en": ["farm", "crops", "harvest", "animals", "planting", "barn", "tractor", "cows",
               "seeds", "village"],
        "pl": ["farma", "uprawy", "zbiory", "zwierzęta", "sadzenie", "stodoła", "traktor", "krowy",
               "nasiona", "wioska"],
        "vi": ["nông trại", "cây trồng", "thu hoạch", "vật nuôi", "gieo hạt", "chuồng trại",
               "máy cày", "bò sữa", "hạt giống", "làng quê"],
        "zh": ["农场", "庄稼", "收获", "动物", "种植", "谷仓", "拖拉机", "奶牛", "种子", "村庄"],
    },
    "starfall": {
        "en": ["arena", "hero", "tournament", "skills", "duel", "clan", "ranked", "spells",
               "champion", "battle"],
        "pl": ["arena", "bohater", "turniej", "umiejętności", "pojedynek", "klan", "rankingi",
               "zaklęcia", "mistrz", "bitwa"],
        "vi": ["đấu trường", "anh hùng", "giải đấu", "kỹ năng", "đối kháng", "chiến đội",
               "xếp hạng", "phép thuật", "nhà vô địch", "trận chiến"],
        "zh": ["竞技场", "英雄", "锦标赛", "技能", "对决", "战队", "排位", "法术", "冠军", "战斗"],
    },
    "nebula": {
        "en": ["racing", "track", "drift", "cars", "speed", "lap", "garage", "engine", "nitro",
               "circuit"],
        "pl": ["wyścigi", "tor", "drift", "samochody", "prędkość", "okrążenie", "garaż", "silnik",
               "nitro", "trasa"],
        "vi": ["đua xe", "đường đua", "drift", "xe hơi", "tốc độ", "vòng đua", "ga ra", "động cơ",
               "nitro", "xe đua"],
        "zh": ["赛车", "赛道", "漂移", "汽车", "速度", "圈速", "车库", "引擎", "氮气", "车手"],
    },
}

# Words every game theme shares (what makes the products hard to tell apart without names).

GAME_WORDS: dict[str, list[str]] = {
    "en": ["game", "update", "season", "skin", "server", "patch", "players", "event"],
    "pl": ["gra", "aktualizacja", "sezon", "skórka", "serwer", "łatka", "gracze", "wydarzenie"],
    "vi": ["trò chơi", "cập nhật", "mùa giải", "trang phục", "máy chủ", "bản vá", "người chơi",
           "sự kiện"],
    "zh": ["游戏", "更新", "赛季", "皮肤", "服务器", "补丁", "玩家", "活动"],
}

# Product themes: the watched entity and how each language writes it (several forms each:

# Polish inflects, Chinese mostly uses its own name).

PRODUCTS: dict[str, dict[str, list[str]]] = {
    "starfall": {
        "en": ["Starfall Arena"],
        "pl": ["Starfall Arena", "Starfall Areny", "Starfall Arenie"],
        "vi": ["Starfall Arena"],
        "zh": ["星落竞技场", "星落竞技场", "Starfall Arena"],
    },
    "nebula": {
        "en": ["Nebula Racer"],
        "pl": ["Nebula Racer", "Nebula Racera"],
        "vi": ["Nebula Racer"],
        "zh": ["星云赛车", "星云赛车", "Nebula Racer"],
    },
    "pixelfarm": {
        "en": ["Pixel Farm"],
        "pl": ["Pixel Farm"],
        "vi": ["Pixel Farm"],
        "zh": ["像素农场", "Pixel Farm"],
    },
}

WATCH = {
    "starfall": ("Starfall Arena", ["星落竞技场"]),
    "nebula": ("Nebula Racer", ["星云赛车"]),
    "pixelfarm": ("Pixel Farm", ["像素农场"]),
}

ADJECTIVES: dict[str, list[str]] = {
    "en": ["great", "terrible", "expensive", "amazing", "boring", "popular", "strange", "fun"],
    "pl": ["świetny", "okropny", "drogi", "niesamowity", "nudny", "popularny", "dziwny", "fajny"],
    "vi": ["tuyệt vời", "tệ", "đắt", "hấp dẫn", "nhàm chán", "phổ biến", "kỳ lạ", "vui"],
    "zh": ["很棒", "糟糕", "太贵", "惊人", "无聊", "流行", "奇怪", "有趣"],
}

# Sentence templates; {a} {b} {c} are theme words, {adj} an adjective, {p} a product name.

TEMPLATES: dict[str, list[str]] = {
    "en": ["I think the {a} was {adj} and the {b} too.",
           "Has anyone tried the new {a}? The {b} looks {adj}.",
           "My friends keep talking about {a}, {b} and {c}.",
           "Honestly the {a} is {adj}, but I still love the {b}.",
           "Quick question about {a} and {b}: is it worth it?",
           "Today we spent hours on {a}; the {b} was {adj}.",
           "{A} or {b}? Both feel {adj} to me.",
           "Can't stop thinking about the {a}.",
           "Last weekend: {a}, {b}, {c}. So {adj}!",
           "Why is nobody mentioning the {a}?"],
    "pl": ["Myślę, że {a} był {adj}, a {b} też.", "Czy ktoś już próbował {a}? {b} wygląda {adj}.",
           "Moi znajomi ciągle mówią o {a}, {b} i {c}.",
           "Szczerze mówiąc {a} jest {adj}, ale nadal lubię {b}.",
           "Pytanie o {a} i {b}: czy warto?", "Dzisiaj spędziliśmy godziny na {a}; {b} był {adj}.",
           "{A} czy {b}? Dla mnie jedno i drugie {adj}.", "Nie mogę przestać myśleć o {a}.",
           "W weekend: {a}, {b}, {c}. Bardzo {adj}!", "Dlaczego nikt nie wspomina o {a}?"],
    "vi": ["Mình thấy {a} khá {adj} và {b} cũng vậy.",
           "Có ai thử {a} mới chưa? {b} nhìn {adj} lắm.",
           "Bạn bè mình cứ nói mãi về {a}, {b} và {c}.",
           "Nói thật {a} rất {adj}, nhưng mình vẫn thích {b}.",
           "Cho mình hỏi về {a} và {b}: có đáng không?",
           "Hôm nay tụi mình dành cả buổi cho {a}; {b} thật {adj}.",
           "{A} hay {b}? Với mình cả hai đều {adj}.", "Không ngừng nghĩ về {a}.",
           "Cuối tuần vừa rồi: {a}, {b}, {c}. Quá {adj}!", "Sao không ai nhắc đến {a} nhỉ?"],
    "zh": ["我觉得{a}很{adj}，{b}也是。", "有人试过新的{a}吗？{b}看起来{adj}。",
           "我的朋友们一直在聊{a}、{b}和{c}。",
           "说实话{a}{adj}，但我还是喜欢{b}。", "请问{a}和{b}值得吗？",
           "今天我们花了好几个小时在{a}上，{b}真{adj}。", "{a}还是{b}？对我来说都{adj}。",
           "一直在想{a}。", "上周末：{a}、{b}、{c}，太{adj}了！", "为什么没人提{a}？"],
}

PRODUCT_TEMPLATES: dict[str, list[str]] = {
    "en": ["Playing {p} tonight.", "{p} is all anyone talks about.", "Thoughts on {p}?"],
    "pl": ["Gram dziś w {p}.", "Wszyscy mówią o {p}.", "Co sądzicie o {p}?"],
    "vi": ["Tối nay chơi {p}.", "Ai cũng nói về {p}.", "Mọi người thấy {p} thế nào?"],
    "zh": ["今晚玩{p}。", "大家都在聊{p}。", "你们觉得{p}怎么样？"],
}

TITLE_TEMPLATES: dict[str, str] = {
    "en": "{a} and {b}", "pl": "{a} i {b}", "vi": "{a} và {b}", "zh": "{a}和{b}",
}

SPAM_WORD = "megabonuscode"

# Long-tail noise: made-up words per language (syllable pairs), Zipf-distributed.

_SYLLABLES: dict[str, list[str]] = {
    "en": ["bar", "lin", "tor", "mek", "sal", "vin", "dor", "pel", "rak", "sun", "tiv", "lom",
           "gar", "fen", "hul", "zop", "kri", "mav", "nes", "quo"],
    "pl": ["prze", "szko", "wie", "chra", "łom", "rzy", "kło", "pią", "dzie", "wło", "ście",
           "grzy", "mię", "bor", "tka", "żu", "śni", "cze", "dło", "wą"],
}
# Vietnamese noise words are single syllables (the tokenizer splits made-up compounds);
# Chinese ones are pairs of characters from the CJK block.
_VI_INITIALS = ["b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "ph", "s", "t", "th", "v", "x"]
_VI_NUCLEI = list("aáàảãạeéèẻẽẹiíìỉĩịoóòỏõọuúùủũụơớờởỡợưứừửữựôốồổỗộ")
_VI_FINALS = ["", "n", "ng", "m", "t"]
# fmt: on


@dataclass(frozen=True)
class CorpusSpec:
    """What to generate. Rates are posts per language per week for a steady theme."""

    posts: int = 4000
    as_of: dt.date = dt.date(2026, 11, 22)
    baseline_weeks: int = 8
    history_weeks: int = 0  # extra weeks before the baseline
    languages: tuple[str, ...] = LANGUAGES
    plant: bool = True
    emerging_before: float = 0.08  # planted emerging theme's rate in the baseline (× steady)
    emerging_after: float = 1.2  # ... and in the recent week
    fading_before: float = 0.8
    fading_after: float = 0.08
    spam_posts: int = 0
    noise_words: int = 3  # long-tail words per post (vocabulary size for benchmarks)
    authors_per_post: float = 0.8  # author pool size relative to posts per language per week
    seed: int = 0


@dataclass
class Post:
    id: str
    source: str
    lang: str
    author: str
    published_at: str
    title: str
    text: str
    theme: str


@dataclass
class Corpus:
    spec: CorpusSpec
    posts: list[Post] = field(default_factory=list)

    def ids_of(self, theme: str) -> set[str]:
        return {p.id for p in self.posts if p.theme == theme}


def _rates(spec: CorpusSpec) -> dict[str, list[float]]:
    """Relative weekly rate per theme: a list over weeks (oldest first, recent last)."""
    weeks = spec.history_weeks + spec.baseline_weeks + 1
    steady = [1.0] * weeks
    rates = {theme: list(steady) for theme in THEMES if theme not in ("starfall", "nebula")}
    if spec.plant:
        rates["starfall"] = [spec.emerging_before] * (weeks - 1) + [spec.emerging_after]
        rates["nebula"] = [spec.fading_before] * (weeks - 1) + [spec.fading_after]
    return rates


def _noise_lexicon(lang: str, rng: np.random.Generator, size: int = 4000) -> list[str]:
    """Made-up words (a long tail for the vocabulary), ``size`` of them, sorted."""
    if lang == "vi":
        size = min(size, len(_VI_INITIALS) * len(_VI_NUCLEI) * len(_VI_FINALS) // 2)
    words: set[str] = set()
    while len(words) < size:
        if lang == "vi":
            words.add(rng.choice(_VI_INITIALS) + rng.choice(_VI_NUCLEI) + rng.choice(_VI_FINALS))
        elif lang == "zh":
            words.add("".join(chr(int(c)) for c in rng.integers(0x4E00, 0x9FA5, size=2)))
        else:
            words.add("".join(rng.choice(_SYLLABLES[lang], size=int(rng.integers(2, 4)))))
    return sorted(words)


def generate(spec: CorpusSpec) -> Corpus:
    """Generate the corpus described by ``spec`` (the same spec always gives the same posts)."""
    rng = np.random.default_rng(spec.seed)
    rates = _rates(spec)
    weeks = spec.history_weeks + spec.baseline_weeks + 1
    expected_total = sum(sum(r) for r in rates.values()) * len(spec.languages)
    scale = spec.posts / expected_total
    recent_start = dt.datetime.combine(spec.as_of - dt.timedelta(days=6), dt.time(), dt.UTC)
    first_week = recent_start - dt.timedelta(weeks=weeks - 1)
    per_lang_week = spec.posts / weeks / len(spec.languages)
    pool = max(40, int(per_lang_week * spec.authors_per_post))
    # Zipf-like author activity: a few regulars, a long tail of occasional posters.
    activity = 1.0 / np.arange(1, pool + 1) ** 0.6
    activity /= activity.sum()
    noise = {lang: _noise_lexicon(lang, rng) for lang in spec.languages}
    noise_p = {lang: 1.0 / np.arange(1, len(noise[lang]) + 1) ** 0.7 for lang in spec.languages}
    for lang in spec.languages:
        noise_p[lang] /= noise_p[lang].sum()

    corpus = Corpus(spec)
    for week in range(weeks):
        for theme, weekly in rates.items():
            for lang in spec.languages:
                count = int(rng.poisson(weekly[week] * scale))
                authors = rng.choice(pool, size=count, p=activity)
                seconds = rng.integers(0, 7 * 86400, size=count)
                when = [first_week + dt.timedelta(weeks=week, seconds=int(s)) for s in seconds]
                for author, moment in zip(authors.tolist(), when, strict=True):
                    corpus.posts.append(
                        _post(rng, spec, theme, lang, moment, author, noise, noise_p)
                    )
    if spec.spam_posts:
        for i in range(spec.spam_posts):
            seconds = int(rng.integers(0, 7 * 86400))
            when = recent_start + dt.timedelta(seconds=seconds)
            text = f"{SPAM_WORD} {SPAM_WORD}! Free {SPAM_WORD} number {i} for everyone."
            corpus.posts.append(
                Post(_id("spam", i), "en-forum", "en", "spammer", _ts(when),
                     f"{SPAM_WORD} deal {i}", text, "spam")
            )  # fmt: skip
    corpus.posts.sort(key=lambda p: p.published_at)
    return corpus


def _post(
    rng: np.random.Generator,
    spec: CorpusSpec,
    theme: str,
    lang: str,
    when: dt.datetime,
    author: int,
    noise: dict[str, list[str]],
    noise_p: dict[str, np.ndarray],
) -> Post:
    words = THEMES[theme][lang]
    if theme in PRODUCTS:
        words = words + GAME_WORDS[lang]
    sentences = []
    for _ in range(int(rng.integers(2, 4))):
        template = TEMPLATES[lang][int(rng.integers(len(TEMPLATES[lang])))]
        a, b, c = rng.choice(len(words), size=3, replace=False)
        adjective = ADJECTIVES[lang][int(rng.integers(len(ADJECTIVES[lang])))]
        sentence = template.format(
            a=words[a], A=words[a][:1].upper() + words[a][1:], b=words[b], c=words[c], adj=adjective
        )
        sentences.append(sentence)
    if theme in PRODUCTS:
        names = PRODUCTS[theme][lang]
        name = names[int(rng.integers(len(names)))]
        product = PRODUCT_TEMPLATES[lang][int(rng.integers(len(PRODUCT_TEMPLATES[lang])))]
        sentences.insert(int(rng.integers(0, 2)), product.format(p=name))
    if spec.noise_words:
        extra = rng.choice(len(noise[lang]), size=spec.noise_words, p=noise_p[lang])
        sep = "" if lang == "zh" else " "
        sentences.append(sep.join(noise[lang][i] for i in extra) + ("。" if lang == "zh" else "."))
    sep = "" if lang == "zh" else " "
    a, b = rng.choice(len(words), size=2, replace=False)
    title = TITLE_TEMPLATES[lang].format(a=words[a], b=words[b])
    source = f"{lang}-{'forum' if author % 3 else 'blog'}"
    serial = int(rng.integers(0, 2**62))
    return Post(
        id=_id(theme, serial),
        source=source,
        lang=lang,
        author=f"{lang}_user{author}",
        published_at=_ts(when),
        title=title[:1].upper() + title[1:],
        text=sep.join(sentences),
        theme=theme,
    )


def _id(*parts: object) -> str:
    return hashlib.sha1("\n".join(map(str, parts)).encode()).hexdigest()[:20]


def _ts(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def sources_of(corpus: Corpus) -> list[str]:
    return sorted({p.source for p in corpus.posts})


def write_db(corpus: Corpus, path: str | Path) -> None:
    """Write the corpus into a trendscout database at ``path`` (sources and posts)."""
    from pipelines.db import open_db
    from pipelines.store import content_hash

    db = open_db(path)
    now = _ts(dt.datetime.now(dt.UTC))
    sources = db["sources"]
    ids = {}
    for name in sources_of(corpus):
        sources.insert(
            {"name": name, "type": "feed", "url": f"http://127.0.0.1/{name}.xml",
             "language": name.split("-")[0], "options": "{}", "added_at": now},
        )  # fmt: skip
        ids[name] = sources.last_pk

    def rows() -> Iterator[dict]:
        for post in corpus.posts:
            yield {
                "id": post.id,
                "source_id": ids[post.source],
                "url": f"http://127.0.0.1/{post.source}/{post.id}",
                "title": post.title,
                "text": post.text,
                "author": post.author,
                "published_at": post.published_at,
                "date_estimated": 0,
                "content_hash": content_hash(post.title, post.text),
                "guid": post.id,
                "fetched_at": post.published_at,
                "first_seen_at": post.published_at,
                "updated_at": post.published_at,
            }

    with db.atomic():
        db["posts"].insert_all(rows(), batch_size=2000)
    db.close()


def watch_config(corpus: Corpus) -> str:
    """A sources.yml for the corpus: its sources and the three watched games."""
    lines = ["sources:"]
    for name in sources_of(corpus):
        lines += [f"  - name: {name}", "    type: feed",
                  f"    url: http://127.0.0.1/{name}.xml", f"    language: {name[:2]}"]  # fmt: skip
    lines.append("watch:")
    for name, aliases in WATCH.values():
        lines += [f"  - name: {name}", f"    aliases: [{', '.join(aliases)}]"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--as-of", default="2026-11-22")
    parser.add_argument("--baseline-weeks", type=int, default=8)
    parser.add_argument("--history-weeks", type=int, default=0)
    parser.add_argument("--no-plant", action="store_true", help="no planted trends")
    parser.add_argument("--db", required=True, help="trendscout database to write")
    parser.add_argument("--config", help="also write a matching sources.yml here")
    args = parser.parse_args(argv)
    spec = CorpusSpec(
        posts=args.posts,
        as_of=dt.date.fromisoformat(args.as_of),
        baseline_weeks=args.baseline_weeks,
        history_weeks=args.history_weeks,
        plant=not args.no_plant,
        seed=args.seed,
    )
    corpus = generate(spec)
    write_db(corpus, args.db)
    if args.config:
        Path(args.config).write_text(watch_config(corpus), encoding="utf-8")
    print(f"wrote {len(corpus.posts)} posts to {args.db}", file=sys.stderr)


if __name__ == "__main__":
    main()
