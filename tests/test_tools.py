"""The tool registry: schemas for every tool, and every kind of bad call as an error result."""

import json

import pytest

import tools
from tools.context import ToolContext

REGISTRY = tools.load()


def all_objects(node):
    if isinstance(node, dict):
        if node.get("type") == "object":
            yield node
        for value in node.values():
            yield from all_objects(value)
    elif isinstance(node, list):
        for value in node:
            yield from all_objects(value)


@pytest.mark.parametrize("name", sorted(REGISTRY.tools))
def test_every_tool_has_a_strict_schema(name: str) -> None:
    schema = REGISTRY.tools[name].schema()
    function = schema["function"]
    assert function["name"] == name
    assert function["strict"] is True
    assert len(function["description"]) > 20, "the docstring is the model's only guide"
    for obj in all_objects(function["parameters"]):
        assert obj["additionalProperties"] is False
        assert sorted(obj["required"]) == sorted(obj["properties"])
    for obj in all_objects(function["parameters"]):
        for prop in obj["properties"].values():
            assert "default" not in prop and "title" not in prop
    assert "ctx" not in function["parameters"]["properties"]


def test_the_registry_has_the_first_tools() -> None:
    assert {"read_bible", "set_show", "set_entity", "add_note", "write_shots", "list_shots",
            "make_take", "inspect_take", "schedule_take"} <= set(REGISTRY.tools)


def test_optional_arguments_are_nullable() -> None:
    props = REGISTRY.tools["make_take"].schema()["function"]["parameters"]["properties"]
    assert {"type": "null"} in props["seed"]["anyOf"]


@pytest.mark.parametrize("name, arguments, expected", [
    ("no_such_tool", "{}", "there is no tool named 'no_such_tool'"),
    ("make_take", '{"shot_id": "seven"}', "shot_id: Input should be a valid integer"),
    ("make_take", "{shot_id: 1}", "not valid JSON"),
    ("make_take", '{"shot_id": 1, "se', "not valid JSON"),
    ("make_take", "[1, 2]", "must be a JSON object"),
    ("make_take", '{"shot_id": 1, "bogus": 2}', "bogus: Extra inputs are not permitted"),
    ("set_show", '{"title": "x"}', "logline: Field required"),
    ("make_take", '{"shot_id": 99}', "no shot with id 99"),
    ("set_entity", '{"kind": "character", "name": "Fox", "colours": [{"part": "fur", '
                   '"colour": "sparkly"}]}', "unknown colour 'sparkly'"),
])
def test_bad_calls_come_back_as_errors(ctx: ToolContext, name, arguments, expected) -> None:
    result = REGISTRY.dispatch(ctx, name, arguments)
    assert not result.ok
    assert result.content.startswith("Error: ")
    assert expected in result.content


def test_write_shots_checks_the_bible_and_the_directions(ctx: ToolContext) -> None:
    def call(tool, **arguments):
        return REGISTRY.dispatch(ctx, tool, json.dumps(arguments))

    shot = {"action": "the fox runs", "entities": ["Fox"], "location": "Wood", "framing": "wide",
            "camera_move": "pan", "camera_direction": "up", "subject_motion": "runs",
            "subject_direction": "left", "time_of_day": "day", "mood": "playful",
            "duration_s": 3.0}
    assert "no show yet" in call("write_shots", shots=[shot], sequence=None).content
    assert call("set_show", title="T", logline="L", visual_style="S", palette=["red", "blue"],
                music_mood="calm", theme=None).ok
    assert "not in the bible: Fox, Wood" in call("write_shots", shots=[shot], sequence=None).content
    for kind, name in (("character", "Fox"), ("location", "Wood")):
        assert call("set_entity", kind=kind, name=name, description=None, colours=None,
                    wardrobe=None, marks=None).ok
    assert "a pan needs direction left/right" in call("write_shots", shots=[shot],
                                                      sequence=None).content
    result = call("write_shots", shots=[{**shot, "camera_direction": "left"}], sequence=None)
    assert result.ok, result.content
    assert ctx.store.shots()[0]["entities"] == ["Fox"]
