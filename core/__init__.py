"""The ground: the error tree, the clock, the settings and webtv.toml, the FFmpeg runner and
probing, the house format, redaction of secrets."""
