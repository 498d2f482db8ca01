"""The director: the agent loop, the models it talks to, the autopilot and the CLI."""
