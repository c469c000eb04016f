"""Offline speech recognition on live calls: Asterisk external media -> RTP receiver -> Vosk."""
