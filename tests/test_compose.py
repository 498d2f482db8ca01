"""The prompt composer: continuity first, explicit directions, no risky words, 77 CLIP tokens."""

from webtv.production.compose import clip_tokens, compose, look, prompt_faults, strip_avoided

SHOT = {"entities": ["Fox"], "place": "Harbor", "camera_move": "pan",
        "camera_direction": "right", "subject_motion": "runs", "subject_direction": "left",
        "action": "the fox runs along the pier, shot on Canon EOS in IMAX 4k drone footage",
        "time_of_day": "dusk", "framing": "wide"}
ENTITIES = {
    "Fox": {"name": "Fox", "description": "a small fox", "colours": {"fur": "orange",
                                                                     "scarf": "green"},
            "wardrobe": "a green scarf", "marks": "a white tip on its tail"},
    "Harbor": {"name": "Harbor", "description": "an old stone harbor with fishing boats",
               "colours": {"sky": "purple", "water": "teal"}, "wardrobe": "", "marks": ""}}


def test_continuity_first_directions_explicit_risky_words_gone() -> None:
    prompt = compose(SHOT, ENTITIES, {"visual_style": "watercolour"})
    assert prompt.startswith("a small fox (orange fur, green scarf, white tip on its tail), "
                             "the fox runs along the pier")
    assert "runs to the left" in prompt and "camera pans right" in prompt
    assert "wide shot" in prompt  # only words left dangling by a removal are dropped
    assert "slow zoom in" in compose({**SHOT, "camera_move": "zoom", "camera_direction": "in"},
                                     ENTITIES, {"visual_style": ""})
    for word in ("Canon", "EOS", "IMAX", "4k", "drone"):
        assert word.lower() not in prompt.lower()
    assert "a green scarf" not in prompt  # the wardrobe the colours already say is not repeated


def test_the_prompt_fits_77_clip_tokens_dropping_the_least_important_first() -> None:
    long_style = "watercolour, soft light, " + "gentle pastel tones, " * 12
    prompt = compose(SHOT, ENTITIES, {"visual_style": long_style})
    assert clip_tokens(prompt) <= 75  # + start and end markers = 77
    assert prompt.startswith("a small fox")
    assert "camera pans right" in prompt and "harbor" in prompt  # before the style
    assert "watercolour" not in prompt  # the style went first, whole: no half of it
    assert not prompt_faults(prompt, SHOT, ENTITIES)


def test_clip_tokens_are_real_bpe_tokens() -> None:
    assert clip_tokens("A person riding a motorcycle") == 5  # OpenAI CLIP: 320 2533 6765 320 10297
    assert strip_avoided("a cat, shot on Canon EOS") == "a cat"


def test_a_retake_can_put_what_went_wrong_first() -> None:
    prompt = compose(SHOT, ENTITIES, {"visual_style": "watercolour"}, "camera pans right")
    assert prompt.startswith("camera pans right, a small fox")


# What a small model wrote as a look (the embedded 1.5B, for the seed's panda-and-cat theme), cut
# at the bible's 300 characters; before, every aired prompt began with it and lost the boat.
PANDA = {"name": "Panda", "description": "The panda is a fluffy white bear with a red nose and "
         "black ears. It has fur that looks like a mix of brown and white. Its eyes are large "
         "and round, with a soft", "colours": {"fur": "white"}, "wardrobe": "", "marks": ""}
RIVER_SHOT = {"entities": ["Panda", "Black Cat", "Small Boat"], "place": "River",
              "camera_move": "pan", "camera_direction": "right", "subject_motion": "floats",
              "subject_direction": "right", "time_of_day": "day", "framing": "wide",
              "action": "the panda and the black cat drift down the river in the small boat"}
RIVER = {"Panda": PANDA,
         "Black Cat": {"name": "Black Cat", "description": "a black cat, purple bandana",
                       "colours": {"fur": "black"}, "wardrobe": "", "marks": ""},
         "Small Boat": {"name": "Small Boat", "description": "a small red boat", "colours": {},
                        "wardrobe": "", "marks": ""},
         "River": {"name": "River", "description": "a flowing river, blue sky, green banks",
                   "colours": {}, "wardrobe": "", "marks": ""}}


def test_a_look_is_short_visual_attributes_not_the_models_sentences() -> None:
    assert look(PANDA) == ("panda", ["white fur", "fluffy white bear", "red nose", "black ears"])
    prompt = compose(RIVER_SHOT, RIVER, {"visual_style": "storybook animation"})
    assert prompt.startswith("panda (white fur, fluffy white bear, red nose), the panda and the "
                             "black cat drift down the river in the small boat")
    for words in ("black cat", "small red boat", "flowing river", "camera pans right"):
        assert words in prompt
    assert "It has" not in prompt and "with a soft" not in prompt
    assert prompt_faults(prompt, RIVER_SHOT, RIVER) == []


def test_the_check_over_aired_prompts_catches_a_pasted_look() -> None:
    """The prompt the embedded model's takes aired with (issue 29): the check names each fault."""
    aired = ("The panda is a fluffy white bear with a red nose and black ears. It has fur that "
             "looks like a mix of brown and white. Its eyes are large and round, with a soft, "
             "The panda andBlack cat start walking down the river.")
    shot = {**RIVER_SHOT, "action": "The panda and black cat start walking down the river"}
    faults = prompt_faults(aired, shot, RIVER)
    assert faults == ["Small Boat is not in the prompt", "a look pasted as sentences",
                      "a clause cut mid-way", "words glued together",
                      "the action is not in the first 30 tokens"]
    assert prompt_faults("the rainy harbour in the rainy, wide shot", {
        **RIVER_SHOT, "entities": [], "action": "the rainy harbour"}, RIVER) == [
        "a clause cut mid-way"]
