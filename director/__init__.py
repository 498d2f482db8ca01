"""The director: the agent loop, the requests and what each offers, the chat models (an
OpenAI-compatible endpoint, the embedded ``gguf:`` one, the offline planner), the autopilot,
the chat, a run's threads and the channel's status."""
