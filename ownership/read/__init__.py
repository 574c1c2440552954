"""Readers that turn positioned YAML (see `ownership.yamlsafe`) into model objects."""
