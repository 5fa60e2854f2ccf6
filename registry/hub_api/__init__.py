"""Hugging Face Hub-compatible HTTP routes at the server root: a contract we do not own.

`huggingface_hub` and `transformers` pointed at this server (`HF_ENDPOINT`) pull models with no code
change. The shapes, headers and error codes follow `shared/docs/hf-hub-protocol.md`.
"""
