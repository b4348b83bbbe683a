"""totem's tests/ folder, ported."""
