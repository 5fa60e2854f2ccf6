"""Pure checks of what a version may contain: paths, file types, safetensors headers, cards."""
