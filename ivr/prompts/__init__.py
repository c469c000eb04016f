"""Prompt audio: text-to-speech rendering and the files Asterisk plays."""
