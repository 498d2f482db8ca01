"""The ground floor: the error tree, the FFmpeg runner and probing, the house format."""
