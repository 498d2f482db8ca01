"""The chat model the settings choose: an OpenAI-compatible endpoint, the embedded ``gguf:``
one, or the offline planner when none is configured."""

from __future__ import annotations

from webtv.core.settings import Settings
from webtv.director.llm import OpenAIChat
from webtv.director.offline import OfflineDirector
from webtv.director.protocol import ChatModel
from webtv.state.datadir import DataDir


def chat_model(settings: Settings) -> ChatModel:
    if not settings.llm_model:
        return OfflineDirector()
    if settings.llm_model.startswith("gguf:"):
        from webtv.director import local_llm

        models = settings.model_dir or DataDir(settings.data_dir).root / "models"
        return local_llm.LocalGGUF(local_llm.resolve(settings.llm_model, models),
                                   temperature=settings.llm_temperature)
    return OpenAIChat(settings.llm_base_url, settings.llm_model, settings.llm_api_key,
                      settings.llm_vision, timeout=settings.llm_timeout,
                      temperature=settings.llm_temperature)


def review_model(settings: Settings, director: ChatModel) -> ChatModel | None:
    """Who reviews takes by sight: the model named by --review-model (an OpenAI-compatible
    endpoint, said to see; director.sight checks it), else the director where it is said to
    see, else nobody."""
    if settings.review_model:
        return OpenAIChat(settings.review_base_url or settings.llm_base_url,
                          settings.review_model,
                          settings.review_api_key or settings.llm_api_key, sees_images=True,
                          timeout=settings.llm_timeout, temperature=settings.llm_temperature)
    return director if director.sees_images else None
