"""Test kit shipped with the engine: SIPp callers and a controller running in a thread.

Used by our own tests and benchmarks, and by anyone testing flows against a real PBX.
"""
