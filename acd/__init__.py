"""The ACD: routing core, state store and statistics."""
