"""The prompt composer: continuity first, explicit directions, no risky words, 77 CLIP tokens."""

from webtv.production.compose import clip_tokens, compose, strip_avoided

SHOT = {"entities": ["Fox"], "location": "Harbor", "camera_move": "pan",
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
    assert prompt.startswith("a small fox (orange fur, green scarf; a white tip on its tail)")
    assert "runs to the left" in prompt and "camera pans right" in prompt
    assert "wide shot" in prompt  # only words left dangling by a removal are dropped
    assert "slow zoom in" in compose({**SHOT, "camera_move": "zoom", "camera_direction": "in"},
                                     ENTITIES, {"visual_style": ""})
    for word in ("Canon", "EOS", "IMAX", "4k", "drone"):
        assert word.lower() not in prompt.lower()
    assert "a green scarf" not in prompt  # the wardrobe the colours already say is not repeated


def test_the_prompt_fits_77_clip_tokens_dropping_the_least_important_first() -> None:
    long_place = dict(ENTITIES["Harbor"], description="an old stone harbor " * 20)
    prompt = compose(SHOT, {**ENTITIES, "Harbor": long_place},
                     {"visual_style": "watercolour, soft light"})
    assert clip_tokens(prompt) <= 75  # + start and end markers = 77
    assert prompt.startswith("a small fox")
    assert "camera pans right" in prompt  # action and camera come before the place
    assert "watercolour" not in prompt  # the style went first


def test_clip_tokens_are_real_bpe_tokens() -> None:
    assert clip_tokens("A person riding a motorcycle") == 5  # OpenAI CLIP: 320 2533 6765 320 10297
    assert strip_avoided("a cat, shot on Canon EOS") == "a cat"


def test_a_retake_can_put_what_went_wrong_first() -> None:
    prompt = compose(SHOT, ENTITIES, {"visual_style": "watercolour"}, "camera pans right")
    assert prompt.startswith("camera pans right, a small fox")
