"""Running a channel: building it from its settings (runtime), the loop that decides what to
ask the director next with its heartbeat, retention and budget mode (autopilot), status and
health, and the chat terminals. The director itself (``webtv.director``) only turns one
request into tool calls."""
