"""Artifact signing in the OpenSSF model-signing format (see docs/signing.md).

`base` (the Signer protocol, manifest and bundle rules) and `keys` (EC key files) import neither
Django nor model-signing, so the offline verifier (`python -m registry.verify`) can use them;
`ossf` is the model-signing implementation, imported lazily (it costs ~0.5 s and ~56 MB).
"""
