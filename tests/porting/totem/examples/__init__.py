"""totem's examples/ folder, ported."""
