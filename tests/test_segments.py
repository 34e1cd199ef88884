"""Audience segments: what authors disclose about themselves and the people they speak for."""

from __future__ import annotations

import csv
import re

import pytest
import yaml

from nlp.segments import (
    DATA_DIR,
    SegmentDataError,
    SegmentMatch,
    SegmentTagger,
    load_dimensions,
    post_segment_rows,
)
from tests.fixtures.segments.corpus import LANGUAGES, load_sentences

REQUIRED_SEGMENTS = {"female", "male", "child", "teen", "adult", "senior", "parent", "student"}


@pytest.fixture(scope="module")
def tagger() -> SegmentTagger:
    return SegmentTagger()


def found(matches: list[SegmentMatch]) -> set[tuple[str, str]]:
    return {(m.segment, m.about) for m in matches}


def authored(matches: list[SegmentMatch]) -> set[str]:
    return {m.segment for m in matches if m.about == "author"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_fixture_sentences_are_tagged_as_their_expectations_say(
    tagger: SegmentTagger, lang: str
) -> None:
    wrong = []
    for sentence in load_sentences()[lang]:
        text = sentence.text.replace("{product}", "Starfall Arena")
        for hint in (lang, None):  # with the detected language, and with none
            matches = tagger.tag(text, hint)
            got_author = {m.segment for m in matches if m.about == "author"}
            got_other = {m.segment for m in matches if m.about == "other"}
            if got_author != sentence.author or got_other != sentence.other:
                wrong.append(f"{text!r} ({hint}): got {got_author}/{got_other}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_fixtures_cover_every_required_segment(lang: str) -> None:
    disclosed = set().union(*(s.author for s in load_sentences()[lang]))
    assert REQUIRED_SEGMENTS <= disclosed


# Per language: the plain statement, then negations and quotes that must not flip it.
NEGATION_AND_QUOTES = {
    "en": {
        "plain": ("I am a girl and I play every day.", "female"),
        "negated": [
            "I'm not a girl, I just like the art.",
            "I am no longer a student.",
            "I don't have kids.",
        ],
        "son_not_daughter": "My son, not my daughter, plays it every day.",
        "quoted": [
            "He said 'as a girl I would never play this' and left.",
            'My brother wrote: "as a girl you will hate it".',
            "> as a girl I hate the grind\nI disagree with that.",
        ],
    },
    "pl": {
        "plain": ("Jestem dziewczyną i gram codziennie.", "female"),
        "negated": [
            "Nie jestem dziewczyną, po prostu lubię grafikę.",
            "Wcale nie jestem studentką.",
            "Nie mam dzieci.",
        ],
        "son_not_daughter": "Mój syn, nie moja córka, gra w to codziennie.",
        "quoted": [
            "Brat powiedział: „jako dziewczyna nigdy byś w to nie grała”.",
            "Kolega napisał „jestem dziewczyną” dla żartu.",
        ],
    },
    "vi": {
        "plain": ("Tôi là con gái và chơi mỗi ngày.", "female"),
        "negated": [
            "Tôi không phải là con gái, tôi chỉ thích đồ họa.",
            "Tôi chẳng phải là sinh viên.",
            "Tôi không có con.",
        ],
        "son_not_daughter": "Con trai tôi, không phải con gái tôi, chơi game này mỗi ngày.",
        "quoted": [
            'Anh ấy nói: "mình là con gái thì không chơi game này".',
            "Bạn tôi viết “tôi là con gái” để đùa thôi.",
        ],
    },
    "zh": {
        "plain": ("我是女生，每天都玩。", "female"),
        "negated": ["我不是女生，只是喜欢画风。", "我并不是学生。", "我没有孩子。"],
        "son_not_daughter": "我儿子，不是我女儿，每天都在玩。",
        "quoted": ["他说：“作为一个女生你不会喜欢的”。", "朋友开玩笑写了「我是女生」。"],
    },
}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_negation_and_quotes_do_not_flip_the_result(tagger: SegmentTagger, lang: str) -> None:
    cases = NEGATION_AND_QUOTES[lang]
    text, segment = cases["plain"]
    assert segment in authored(tagger.tag(text, lang))  # the statement itself is found
    for text in cases["negated"]:
        assert authored(tagger.tag(text, lang)) == set(), text
    son = found(tagger.tag(cases["son_not_daughter"], lang))
    assert ("male", "other") in son and ("parent", "author") in son
    assert ("female", "other") not in son
    for text in cases["quoted"]:
        assert authored(tagger.tag(text, lang)) == set(), text


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        # English: "girl" inside "girlfriend", song titles, characters one plays.
        ("en", "My girlfriend plays it more than I do.", {("female", "other")}),
        ("en", "Mamma Mia, the new map is huge!", set()),
        ("en", "I always play as a girl in RPGs.", set()),
        ("en", "Girls' Day event starts tomorrow.", set()),
        ("en", "I'm 100% sure this will flop.", set()),
        ("en", "US parents will love the new parental controls.", set()),
        ("en", "Her latest role as a new mom won praise.", set()),
        # Polish inflection: dziewczyna is "girl" and "girlfriend" in different places.
        ("pl", "Jako dziewczyna gram głównie w gry kooperacyjne.", {("female", "author")}),
        ("pl", "Jestem dziewczyną i lubię strzelanki.", {("female", "author")}),
        ("pl", "My, dziewczyny, gramy inaczej.", {("female", "author")}),
        ("pl", "Moja dziewczyna gra w to codziennie.", {("female", "other")}),
        ("pl", "Mojej dziewczynie się podoba.", {("female", "other")}),
        ("pl", "Dziewczyny z mojej klasy grają w to.", {("female", "other")}),
        ("pl", "Jestem z dziewczyną na wakacjach.", set()),
        ("pl", "Gram jako dziewczyna, bo postać jest ładna.", set()),
        ("pl", "Mama Mia, co za gra!", set()),
        ("pl", "Mam 5 lat doświadczenia w grach.", set()),
        # Vietnamese: "con gái" is girl or daughter; "gái" compounds are other people.
        ("vi", "Mình là con gái.", {("female", "author")}),
        ("vi", "Con gái tôi chơi game này.", {("female", "other"), ("parent", "author")}),
        ("vi", "Bạn gái tôi chơi game này.", {("female", "other")}),
        ("vi", "Em gái tôi là sinh viên.", {("female", "other")}),
        ("vi", "Gái xinh chơi game này nhiều lắm.", set()),
        ("vi", "Tôi có một con mèo.", set()),
        ("vi", "Ông ấy lặp lại tuyên bố của mình.", set()),
        ("vi", "Nếu tôi là con gái thì tôi sẽ chơi.", set()),
        # Chinese: 女生 in compounds, hypotheticals, exclamations.
        ("zh", "我是男生，住在女生宿舍对面。", {("male", "author")}),
        ("zh", "女生节快乐！", set()),
        ("zh", "我一个女生朋友推荐的。", set()),
        ("zh", "如果我是女生，可能会更喜欢。", set()),
        ("zh", "我的妈呀，太难了。", set()),
        ("zh", "我女朋友在玩。", {("female", "other")}),
    ],
)
def test_classic_false_positives_are_avoided(
    tagger: SegmentTagger, lang: str, text: str, expected: set[tuple[str, str]]
) -> None:
    assert found(tagger.tag(text, lang)) == expected


@pytest.mark.parametrize(
    ("lang", "text", "band"),
    [
        ("en", "I'm 12 and I love it.", "child"),
        ("en", "I'm 13, lol.", "teen"),
        ("en", "I am 19 and broke.", "teen"),
        ("en", "I'm 20 now.", "adult"),
        ("en", "I'm 59 and still playing.", "adult"),
        ("en", "I'm 60 and still playing.", "senior"),
        ("en", "I'm in my forties.", "adult"),
        ("en", "Me (15F) and my friends play it.", "teen"),
        ("pl", "Mam 15 lat.", "teen"),
        ("pl", "Jestem po czterdziestce.", "adult"),
        ("pl", "Jestem już po sześćdziesiątce.", "senior"),
        ("pl", "Jestem 16-latką.", "teen"),
        ("vi", "Tôi 15 tuổi.", "teen"),
        ("vi", "Tôi đã ngoài 60 rồi.", "senior"),
        ("zh", "我今年15岁。", "teen"),
        ("zh", "我今年六十五岁了。", "senior"),
        ("zh", "本人女，二十三岁。", "adult"),
    ],
)
def test_ages_map_to_bands(tagger: SegmentTagger, lang: str, text: str, band: str) -> None:
    ages = {m.segment for m in tagger.tag(text, lang) if m.dimension == "age"}
    assert ages == {band}


def test_numbers_that_are_not_ages_are_ignored(tagger: SegmentTagger) -> None:
    assert tagger.tag("I'm 200 hours in and I'm 2 levels away.", "en") == []
    assert tagger.tag("我15岁的时候玩过。", "zh") == []  # "when I was 15": the past


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "My daughter plays it every evening."),
        ("pl", "Moja córka gra w to codziennie."),
        ("vi", "Con gái tôi chơi game này mỗi tối."),
        ("zh", "我女儿每天都玩。"),
    ],
)
def test_a_daughter_makes_the_author_a_parent_and_the_child_female(
    tagger: SegmentTagger, lang: str, text: str
) -> None:
    matches = tagger.tag(text, lang)
    assert found(matches) == {("parent", "author"), ("female", "other")}
    assert all(m.dimension == {"parent": "role", "female": "gender"}[m.segment] for m in matches)


def test_group_mentions_describe_others(tagger: SegmentTagger) -> None:
    for text, lang in [
        ("All the girls in my class play it.", "en"),
        ("Wszystkie dziewczyny z mojej klasy w to grają.", "pl"),
        ("Tất cả các bạn nữ trong lớp mình đều chơi.", "vi"),
        ("我们班的女生都在玩。", "zh"),
    ]:
        assert found(tagger.tag(text, lang)) == {("female", "other")}, text


def test_polish_past_tense_marks_gender_even_when_negated(tagger: SegmentTagger) -> None:
    assert found(tagger.tag("Nie kupiłam tego.", "pl")) == {("female", "author")}
    assert found(tagger.tag("Grałem całą noc.", "pl")) == {("male", "author")}
    assert tagger.tag("Powiedziała: „kupiłam to”.", "pl") == []


def test_unknown_or_missing_language_tries_every_language(tagger: SegmentTagger) -> None:
    for hint in (None, "de", ""):
        assert authored(tagger.tag("Jako mama polecam.", hint)) == {"female", "parent"}
    assert authored(tagger.tag("我今年15岁", "zh-Hant")) == {"teen"}
    # With a known language, only that language's patterns run.
    assert tagger.tag("Jako mama polecam.", "en") == []


def test_evidence_is_the_phrase_as_written(tagger: SegmentTagger) -> None:
    matches = tagger.tag("我女兒今年８歲，很喜歡。", "zh")
    assert {m.evidence for m in matches} == {"我女兒", "我女兒今年８歲"}
    assert ("child", "other") in found(matches)
    [match, *_] = tagger.tag("Honestly, As A Mom Of Two I love it", "en")
    assert match.evidence == "As A Mom Of Two"


def test_one_match_per_segment_and_about_in_text_order(tagger: SegmentTagger) -> None:
    matches = tagger.tag("As a girl, I'm a girl. My daughter and my other daughter play.", "en")
    keys = [(m.dimension, m.segment, m.about) for m in matches]
    assert len(keys) == len(set(keys))
    assert keys[0] == ("gender", "female", "author")
    assert matches[0].evidence == "As a girl"


def test_post_segment_rows_mark_undisclosed_dimensions_unknown(tagger: SegmentTagger) -> None:
    rows = post_segment_rows("p1", tagger.tag("My daughter plays it.", "en"))
    assert {(r["dimension"], r["segment"], r["about"]) for r in rows} == {
        ("role", "parent", "author"),
        ("gender", "female", "other"),
        ("gender", "unknown", "author"),  # the daughter's gender says nothing of the author's
        ("age", "unknown", "author"),
    }
    assert all(set(r) == {"post_id", "dimension", "segment", "evidence", "about"} for r in rows)
    assert post_segment_rows("p2", [], include_unknown=False) == []


def test_dimensions_are_declared_in_data() -> None:
    dims = load_dimensions()
    assert dims["gender"].segments == ("female", "male")
    assert dims["age"].band(12) == "child" and dims["age"].band(13) == "teen"
    assert dims["age"].band(60) == "senior" and dims["age"].band(200) is None
    assert dims["gender"].exclusive and not dims["role"].exclusive


def test_sources_yml_block_adds_overrides_and_defines_languages() -> None:
    extra = {
        "dimensions": {"role": {"segments": ["teacher"]}},
        "en": {
            "classes": {
                "self_noun": [
                    {"terms": ["teacher", "schoolteacher"], "is": {"role": "teacher"}},
                    {"terms": ["gal"], "is": {"gender": "female", "age": "adult"}},  # override
                ]
            },
            "rules": [
                {
                    "id": "retired",
                    "pattern": "I'm a pensioner",
                    "about": "author",
                    "tags": {"age": "senior"},
                }
            ],
        },
        "pl": {"disable_rules": ["past_tense_gender"]},
        "de": {
            "negation": {"cues": ["nicht", "kein", "keine"], "window": 3},
            "classes": {
                "self_noun": [
                    {"terms": ["Mutter", "Mama"], "is": {"gender": "female", "role": "parent"}}
                ]
            },
            "rules": [{"id": "als", "pattern": "als {self_noun}", "about": "author"}],
        },
    }
    tagger = SegmentTagger(extra=extra)
    assert "de" in tagger.languages
    assert authored(tagger.tag("As a teacher I use it in class.", "en")) == {"teacher"}
    assert authored(tagger.tag("As a gal who games, yes.", "en")) == {"female", "adult"}
    assert authored(tagger.tag("I'm a pensioner.", "en")) == {"senior"}
    assert authored(tagger.tag("I'm retired.", "en")) == set()  # the rule was replaced
    assert tagger.tag("Kupiłam to.", "pl") == []  # rule switched off
    assert authored(tagger.tag("Als Mutter spiele ich gern.", "de")) == {"female", "parent"}
    assert authored(tagger.tag("Nicht als Mutter, sondern als Spielerin.", "de")) == set()


def test_readme_example_block_works() -> None:
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Adding to or overriding", 1)[1]
    block = yaml.safe_load(re.search(r"```yaml\n(.*?)```", section, re.S).group(1))
    tagger = SegmentTagger(extra=block["segments"])
    assert authored(tagger.tag("Jestem nauczycielką.", "pl")) == {"teacher", "female"}
    assert authored(tagger.tag("Als Mama finde ich das gut.", "de")) == {"female", "parent"}


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"pl": {"rules": [{"id": "x", "pattern": "jako", "about": "self"}]}},
            "segments.pl.rules[0] (x).about: expected 'author'",
        ),
        (
            {"pl": {"classes": {"self_noun": [{"terms": ["x"], "is": {"gender": "femal"}}]}}},
            "segments.pl.classes.self_noun[0].is.gender: unknown segment 'femal' (did you mean",
        ),
        (
            {"pl": {"rules": [{"id": "x", "pattern": "{nope}", "about": "author"}]}},
            "segments.pl.rules[0] (x).pattern: unknown class {nope}",
        ),
        (
            {"pl": {"rules": [{"id": "x", "pattern": "jako (", "about": "author"}]}},
            "segments.pl.rules[0] (x).pattern: not a valid pattern",
        ),
        ({"pl": {"rulez": []}}, "segments.pl.rulez: unknown key (did you mean 'rules'?)"),
        ({"pl": {"disable_rules": ["jak"]}}, "segments.pl.disable_rules[0]: no rule 'jak' in pl"),
        ({"english": {}}, "segments.english: expected a two-letter language code"),
        (
            {"dimensions": {"mood": {"exclusive": True}}},
            "segments.dimensions.mood.segments: missing",
        ),
        ({"de": {"classes": {}}}, "segments.de: language 'de' has no rules"),
    ],
)
def test_configuration_mistakes_name_the_place_in_one_line(extra: dict, message: str) -> None:
    with pytest.raises(SegmentDataError) as error:
        SegmentTagger(extra=extra)
    assert message in str(error.value)
    assert "\n" not in str(error.value)


def test_asking_for_a_language_without_data_says_how_to_add_it() -> None:
    with pytest.raises(SegmentDataError, match="no segment data for language 'de'; add .*de.yml"):
        SegmentTagger(languages=["de"])


def test_tagger_stays_quiet_on_news_sentences(tagger: SegmentTagger, shared_corpus) -> None:
    """FLORES sentences are third-person news: almost nothing there is a self-disclosure."""
    folders = {"en": "eng_Latn", "pl": "pol_Latn", "vi": "vie_Latn", "zh": "zho_Hans"}
    for lang, folder in folders.items():
        texts = []
        for split in ("train", "dev", "test"):
            path = shared_corpus / "labeled" / "sib200" / folder / f"{split}.tsv"
            with path.open(encoding="utf-8") as handle:
                texts += [row["text"] for row in csv.DictReader(handle, delimiter="\t")]
        tagged = [t for t in texts if authored(tagger.tag(t, lang))]
        assert len(texts) > 1000
        assert len(tagged) <= len(texts) * 0.005, tagged


def test_a_language_is_compiled_when_first_needed_and_tags_as_if_compiled_up_front() -> None:
    lazy, eager = SegmentTagger(), SegmentTagger()
    eager.compile()
    assert authored(lazy.tag("Jako mama polecam.", "pl")) == {"female", "parent"}
    assert set(lazy._languages) == {"pl"}  # only what was needed so far
    sentences = load_sentences()
    for lang in LANGUAGES:
        for sentence in sentences[lang]:
            text = sentence.text.replace("{product}", "Starfall Arena")
            for hint in (lang, None):
                assert lazy.tag(text, hint) == eager.tag(text, hint), text
    assert set(lazy._languages) == set(eager._languages)
