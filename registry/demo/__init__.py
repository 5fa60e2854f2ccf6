"""Tiny, real, offline Hugging Face model folders for the demo catalog.

Built with numpy, safetensors and tokenizers only, so seeding the demo needs neither torch nor
transformers; `tests/compat/test_demo_models.py` proves transformers loads what we write.
"""
