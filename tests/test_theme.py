"""The theme reader keeps a theme's own words: the themes users said the old planner flattened
("a cat goes about the day, with a basket") come back with their characters, place, time,
weather and style as written, and fidelity() measures how many of those words a bible keeps."""

import tomllib
from pathlib import Path

import pytest

from webtv.core.errors import ToolError
from webtv.reading import lexicon
from webtv.reading.theme import (
    LIVING,
    THINGS,
    Character,
    Theme,
    checked_theme,
    content_words,
    fidelity,
    read_theme,
    weather_noun,
    weather_words,
)


def names(theme: Theme) -> list[str]:
    return [c.name for c in theme.characters]


def bible_texts(theme: Theme) -> list[str]:
    """What a bible built from the reading would say: every field the reading fills."""
    fields = [theme.place, theme.activity, theme.style, theme.weather, theme.time]
    people = [text for c in theme.characters for text in (c.name, c.description)]
    return people + [f for f in fields if f] + theme.objects


def test_a_cat_astronaut_floats_through_a_colorful_nebula() -> None:
    theme = read_theme("  A cat astronaut floating through a colorful nebula ")
    assert theme.text == "A cat astronaut floating through a colorful nebula"
    assert theme.characters == [Character("Cat Astronaut", "cat astronaut", [], "a cat astronaut")]
    assert theme.place == "colorful nebula"
    assert theme.activity == "floating through a colorful nebula"
    assert (theme.time, theme.weather, theme.style) == ("day", None, None)


def test_a_keeper_and_her_grey_cat_are_two_characters_in_a_storm() -> None:
    theme = read_theme("a lighthouse keeper and her grey cat in a storm")
    keeper, cat = theme.characters
    assert (keeper.name, keeper.noun) == ("Lighthouse Keeper", "lighthouse keeper")
    assert cat == Character("Grey Cat", "cat", ["grey"], "a grey cat")
    assert theme.weather == "storm" and theme.time == "day"
    assert theme.place == "lighthouse"  # "in a storm" is weather, not a place


def test_a_red_panda_repairs_bicycles_in_a_busy_market() -> None:
    theme = read_theme("a red panda who repairs bicycles in a busy market")
    assert theme.characters == [Character("Red Panda", "red panda", [], "a red panda")]
    assert theme.activity == "repairs bicycles" and theme.objects == ["bicycles"]
    assert theme.place == "busy market"


def test_a_panda_chef_in_a_tiny_kitchen_is_a_cartoon() -> None:
    theme = read_theme("A panda chef cooking dumplings in a tiny kitchen, cartoon style")
    assert names(theme) == ["Panda Chef"]
    assert theme.activity == "cooking dumplings" and theme.objects == ["dumplings"]
    assert theme.place == "tiny kitchen" and theme.style == "cartoon"


def test_a_night_time_noodle_stand_is_the_place_and_the_time() -> None:
    theme = read_theme("a llama who runs a night-time noodle stand")
    assert names(theme) == ["Llama"]
    assert theme.activity == "runs a night-time noodle stand"
    assert theme.place == "night-time noodle stand" and theme.time == "night"


def test_two_old_fishermen_at_dawn_in_studio_ghibli_style() -> None:
    theme = read_theme("Two old fishermen mending nets in a rainy harbour at dawn, "
                       "Studio Ghibli style")
    assert theme.characters == [Character("Two Old Fishermen", "fishermen", ["two", "old"],
                                          "two old fishermen")]
    assert theme.activity == "mending nets" and theme.objects == ["nets"]
    assert theme.place == "rainy harbour"  # the British spelling, as written
    assert (theme.time, theme.weather, theme.style) == ("dawn", "rainy", "Studio Ghibli")


def test_a_hoodie_is_worn_not_a_place() -> None:
    theme = read_theme("a girl in a yellow hoodie skateboarding through a neon city at night")
    assert theme.characters == [Character("Girl", "girl", ["in a yellow hoodie"],
                                          "a girl in a yellow hoodie")]
    assert theme.activity == "skateboarding through a neon city"
    assert theme.place == "neon city" and theme.time == "night"


def test_attire_and_accessories_describe_the_character() -> None:
    fox = read_theme("a fox wearing a red scarf delivers mail in the snow")
    assert fox.characters[0].attributes == ["wearing a red scarf"]
    assert fox.activity == "delivers mail" and fox.weather == "snow"
    duck = read_theme("a duck with a yellow umbrella in the rain")
    assert duck.characters[0].description == "a duck with a yellow umbrella"
    assert duck.place is None and duck.weather == "rain"


def test_emoji_and_arabic_keep_their_words_and_invent_no_character() -> None:
    text = "🐼🍜 في مطبخ صغير"
    theme = read_theme(text)
    assert theme.text == text
    panda, = theme.characters
    assert (panda.name, panda.noun) == ("Panda", "panda")  # U+1F43C PANDA FACE
    assert panda.description == text  # the Arabic words reach the bible through it
    assert theme.objects == ["steaming bowl"] and theme.activity is None
    assert fidelity(text, bible_texts(theme)) == 1.0


def test_a_theme_in_another_script_keeps_its_own_words_for_who_and_where() -> None:
    """No English word lists for Chinese: the glossary finds the panda and the kitchen inside
    the unspaced text, each kept as written (the English word rides beside it), and the
    whole theme describes the lead."""
    theme = read_theme("熊猫在厨房里做饭")
    assert theme.characters == [Character("熊猫", "熊猫", [], "熊猫在厨房里做饭")]
    assert (theme.characters[0].kind, theme.characters[0].gloss) == ("animal", "panda")
    assert theme.place == "厨房" and theme.glosses["厨房"] == "kitchen"
    assert theme.time == "day"


WORLD = [  # (theme, the lead as written, its kind, the place as written, the time, weather)
    ("夜の屋台でラーメンを作る猫", "猫", "animal", "屋台", "night", None),
    ("雨の夜、港で釣りをするおじいさん", "おじいさん", "person", "港", "night", "rain"),
    ("Кошка готовит рамен в ночном ларьке", "Кошка", "animal", "ларьке", "night", None),
    ("Старый рыбак и его собака на берегу моря на рассвете", "рыбак", "person", "моря",
     "dawn", None),
    ("قطة تطبخ الرامن في كشك ليلي", "قطة", "animal", "كشك", "night", None),
    ("해변에서 노는 강아지", "강아지", "animal", "해변", "day", None),
    ("एक बूढ़ा मछुआरा बारिश में नदी के किनारे", "मछुआरा", "person", "नदी", "day", "rain"),
    ("Ένας σκύλος στην παραλία το σούρουπο", "σκύλος", "animal", "παραλία", "dusk", None),
    ("雪の森を歩くキツネ", "キツネ", "animal", "森", "day", "snow"),
    ("海に沈む夕日", None, None, "海", "dusk", None),
    # Latin letters, languages the English reader has no lists for
    ("con mèo nấu mì trong quầy hàng đêm", "mèo", "animal", "quầy", "night", None),
    ("gece tezgahında ramen yapan kedi", "kedi", "animal", "tezgahında", "night", None),
    ("kot gotujący makaron w nocnym straganie", "kot", "animal", "straganie", "night", None),
]


@pytest.mark.parametrize(("text", "lead", "kind", "place", "time", "weather"), WORLD)
def test_themes_in_other_scripts_are_read_in_their_own_words(text, lead, kind, place, time,
                                                             weather) -> None:
    theme = read_theme(text)
    living = [c for c in theme.characters if c.living]
    assert [(c.name.lower(), c.kind) for c in living[:1]] == \
        ([(lead.lower(), kind)] if lead else [])
    assert (theme.place, theme.time, theme.weather) == (place, time, weather)
    assert theme.characters[0].description == text  # the whole theme reaches the bible


def test_a_french_theme_keeps_its_french_words() -> None:
    theme = read_theme("Un chat astronaute dans une nébuleuse colorée")
    assert theme.characters == [Character("Chat Astronaute", "chat astronaute", [],
                                          "un chat astronaute")]
    assert theme.place == "nébuleuse colorée"


def test_a_landscape_without_a_creature_follows_its_subject() -> None:
    """No animal or person: the noun phrase the theme opens with is what the camera follows."""
    theme = read_theme("Waves crashing on a black sand beach at sunset, photoreal")
    assert theme.characters == [Character("Waves", "waves", [], "Waves")]
    assert theme.activity == "crashing" and theme.place == "black sand beach"
    assert (theme.time, theme.style) == ("dusk", "photoreal")


def test_a_photorealistic_wolf_at_midnight_in_the_snow() -> None:
    theme = read_theme("A grey wolf howling on a snowy mountain ridge at midnight, "
                       "photorealistic")
    assert theme.characters == [Character("Grey Wolf", "wolf", ["grey"], "a grey wolf")]
    assert theme.place == "snowy mountain ridge" and theme.activity == "howling"
    assert (theme.time, theme.weather, theme.style) == ("night", "snowy", "photorealistic")


def test_several_characters_share_one_activity() -> None:
    theme = read_theme("A robot and a little girl with her dog explore an abandoned space "
                       "station, pixel art")
    assert names(theme) == ["Robot", "Little Girl", "Dog"]
    assert theme.characters[1].attributes == ["little"]
    assert theme.activity == "explore an abandoned space station"
    assert theme.place == "abandoned space station" and theme.style == "pixel art"


def test_other_phrasings() -> None:
    robot = read_theme("The adventures of a tiny robot in a junkyard")
    assert names(robot) == ["Tiny Robot"] and robot.place == "junkyard"
    market = read_theme("A busy market where a red panda repairs bicycles")
    assert names(market) == ["Red Panda"] and market.place == "busy market"
    anderson = read_theme("a sea otter and a polar bear share a picnic, in the style of Wes "
                          "Anderson")
    assert names(anderson) == ["Sea Otter", "Polar Bear"] and anderson.style == "Wes Anderson"
    assert read_theme("a noir-style detective cat in a rainy city").style == "noir"
    assert names(read_theme("a 🦊 delivering mail in a snowy village")) == ["Fox"]


def test_a_verb_never_becomes_a_character() -> None:
    theme = read_theme("Floating through space")
    assert names(theme) == ["Host"] and theme.characters[0].description == "Floating through space"
    assert theme.activity == "Floating through space" and theme.place == "space"


def test_time_of_day_from_its_words() -> None:
    times = {"a fox at dusk": "dusk", "a fox in the evening": "evening",
             "a fox at sunrise": "dawn", "a moonlit fox": "night", "a fox": "day"}
    assert {text: read_theme(text).time for text in times} == times


def test_the_reading_keeps_the_themes_words() -> None:
    themes = ["A cat astronaut floating through a colorful nebula",
              "a lighthouse keeper and her grey cat in a storm",
              "a red panda who repairs bicycles in a busy market",
              "a girl in a yellow hoodie skateboarding through a neon city at night",
              "Un chat astronaute dans une nébuleuse colorée"]
    assert all(fidelity(text, bible_texts(read_theme(text))) == 1.0 for text in themes)
    assert read_theme(themes[0]) == read_theme(themes[0])  # deterministic


def test_content_words_drop_function_words_in_any_language() -> None:
    assert content_words("a lighthouse keeper and her grey cat in a storm") == \
        ["lighthouse", "keeper", "grey", "cat", "storm"]
    assert content_words("Un chat dans l'espace, avec des étoiles") == ["chat", "espace", "étoiles"]
    assert content_words("🐼🍜 في مطبخ صغير") == ["🐼", "🍜", "مطبخ", "صغير"]
    assert read_theme("Der Fuchs mit einem Hut").content_words() == ["fuchs", "hut"]


def test_fidelity_counts_the_words_a_bible_keeps() -> None:
    cat = "A cat astronaut floating through a colorful nebula"
    old = ["Cat's World", "a cat goes about the day, daytime, with a basket"]
    assert fidelity(cat, old) == 0.2  # only "cat" of five words
    assert fidelity(cat, ["Cat Astronaut", "floats through a colourful nebula"]) == 1.0
    keeper = "a lighthouse keeper and her grey cat in a storm"
    assert fidelity(keeper, ["A Lighthouse Keeper and a gray cat on a stormy night"]) == 1.0
    assert fidelity(keeper, ["a brown cat on a sunny day"]) == 0.2
    assert fidelity("a night-time noodle stand", ["noodles at night time, a stand"]) == 1.0


def test_fidelity_of_emoji_and_other_scripts() -> None:
    assert fidelity("🐼🍜 في مطبخ صغير", ["a giant panda, a steaming bowl, مطبخ صغير"]) == 1.0
    assert fidelity("🐼🍜 في مطبخ صغير", ["🐼 and a bowl"]) == 0.25
    assert fidelity("熊猫在厨房里做饭", ["熊猫在厨房里做饭!"]) == 1.0
    assert fidelity("catalogue", ["a cat"]) == 0.0  # Latin words match whole words only
    assert fidelity("", ["anything"]) == 1.0 and fidelity("the and of", []) == 1.0


# -- many themes, read as labelled (bench/themes.toml: the themes and more) -------------
LABELLED = tomllib.loads((Path(__file__).parents[1] / "bench" / "themes.toml").read_text())["theme"]


def _kind(kind: str) -> str:
    return "living" if kind in LIVING else "thing" if kind in THINGS else "none"


@pytest.mark.parametrize("case", LABELLED, ids=[c["text"][:40] for c in LABELLED])
def test_who_where_when_and_the_weather_as_the_theme_says(case: dict) -> None:
    """Who the camera follows and what it is (an object or vehicle is no person, a landscape has
    nobody), the place, the time and the weather, as a person reads the theme."""
    theme = read_theme(case["text"])
    cast = [(c.noun, _kind(c.kind)) for c in theme.characters if _kind(c.kind) != "none"]
    assert [kind for _, kind in cast] == [w.split(":")[1] for w in case["cast"]]
    assert all(noun.endswith(w.split(":")[0]) for (noun, _), w in zip(cast, case["cast"],
                                                                       strict=True))
    assert (theme.place or "-") == case["place"]
    assert (theme.time if theme.time != "day" else "-") == case["time"]
    assert (weather_noun(theme.weather) if theme.weather else "-") == case["weather"]


def test_words_of_the_weather_become_its_noun_and_are_not_said_twice() -> None:
    assert [weather_noun(w) for w in ("rainy", "foggy", "snowing", "hazy", "storm")] == [
        "rain", "fog", "snow", "haze", "storm"]
    harbour = read_theme("a rainy harbour")
    assert weather_words(harbour, harbour.place) == ""  # not "a rainy harbour in the rainy"
    garden = read_theme("a grumpy robot gardener tending a rooftop garden in the rain")
    assert weather_words(garden, garden.place) == " in the rain"


def test_a_noun_is_what_wordnet_says_it_is() -> None:
    """Kinds no word list holds: a vehicle, a machine, a place, the weather; plurals by their
    dictionary form ("gardener" is no plural of "garden")."""
    assert [lexicon.kind(w) for w in ("boat", "tram", "robot", "fjord", "drizzle", "jellyfish",
                                      "gardener", "mountain pass")] == [
        "vehicle", "vehicle", "machine", "place", "weather", "animal", "person", "place"]
    assert lexicon.lemma("wolves") == "wolf" and lexicon.lemma("gardener") == "gardener"
    assert lexicon.lemma("tending", "v") == "tend"


COAST = ("Aerial footage of a quiet morning at the coast of California, with waves gently "
         "crashing against the rocky shoreline. A startling sunrise illuminates the coast with "
         "vibrant colors, captured beautifully with a DJI Phantom 4 Pro. Colors and textures of "
         "the landscape come alive under the soft morning light. Film grain, cinematic, imax, "
         "movie")  # one of the original AI WebTV's own prompts, 336 characters


def test_a_pasted_prompt_is_taken_and_read_by_its_first_sentence() -> None:
    """The original AI WebTV's prompts run past 300 characters: taken, the first sentence read
    for who and where (its camera words are no character), the rest kept for the look."""
    assert checked_theme(COAST) == COAST
    theme = read_theme(COAST)
    assert theme.characters == [] and theme.place == "coast of California"
    assert theme.objects == ["waves"] and theme.time == "dawn"
    assert theme.first_line.startswith("Aerial footage") and theme.first_line.endswith(
        "shoreline.")
    assert theme.details.startswith("A startling sunrise") and "Film grain" in theme.style
    with pytest.raises(ToolError, match="at most 1000 characters"):
        checked_theme("a fox " * 200)


def test_a_vehicle_the_subject_travels_by_is_no_place() -> None:
    theme = read_theme("a fox who delivers mail by balloon")
    assert theme.place is None and theme.objects == ["mail", "balloon"]
    assert read_theme("a cat on a boat at sea").place is not None
