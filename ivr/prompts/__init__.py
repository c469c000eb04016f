"""Prompt audio on live calls: text-to-speech rendering (espeak-ng, cached) for Asterisk to play.
(What a flow says and plays is written as prompt specs: `ivr.flows.prompt_specs`.)"""
