"""A show's cast as a model sends it: who or what, its kind and its look, taken leniently where
the meaning is clear (a kind called "location", colours as a map or a list), and its
episodes."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from webtv.reading.colours import colours_in
from webtv.reading.words import tidied, whole_clauses

Kind = Literal["character", "place", "prop"]
# what a model may call a kind -> the bible's word
KINDS = {"location": "place", "setting": "place", "person": "character", "animal": "character",
         "object": "prop", "item": "prop"}
CAST_LIMIT = 6  # characters, places and props of one show


def _text(value: Any) -> Any:
    """A list of words where one text was meant: join it."""
    return ", ".join(map(str, value)) if isinstance(value, list) else value


class CastMember(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Annotated[str, BeforeValidator(tidied), Field(min_length=1, max_length=60)]
    kind: Annotated[Kind, BeforeValidator(
        lambda v: KINDS.get(str(v).lower(), str(v).lower()) if v else "character")] = \
        "character"
    # a look a bounded grammar string cut short loses the cut clause ("..., with a soft")
    look: Annotated[str, AfterValidator(whole_clauses), BeforeValidator(tidied),
                    BeforeValidator(_text), Field(
        max_length=300, description="What it is and looks like, with its colours")] = ""

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"name": data}
        if isinstance(data, dict) and not data.get("look"):
            words = [data.get(k) for k in ("description", "appearance", "wardrobe")
                     if isinstance(data.get(k), str)]
            for key in ("colours", "colors"):
                if isinstance(data.get(key), str):
                    words.append(data[key])
                elif data.get(key):
                    words += [f"{c} {p}" for p, c in colours_in(data[key]).items()]
            return {**data, "look": ", ".join(words)}
        return data


class Episode(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: Annotated[str, BeforeValidator(tidied), Field(min_length=1, max_length=80)]
    synopsis: Annotated[str, BeforeValidator(tidied), Field(max_length=300)] = ""
