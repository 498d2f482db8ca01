"""The transmitter: airs a channel back to back without restarting FFmpeg (HLS, RTMP), the
slate, the air log."""
