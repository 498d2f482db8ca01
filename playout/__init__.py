"""The transmitter, the house format, the slate and the channel's page."""
