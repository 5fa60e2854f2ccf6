"""The Xet storage protocol's server side (CAS): what `hf_xet` needs to push and pull through us.

See ../shared/docs/xet-protocol.md. Xorbs are verified and kept for deduplication; every file a
shard describes is rebuilt from them into the ordinary content-addressed blob, so the rest of the
registry (commits, signing, scrubbing, plain downloads) never needs to know about Xet.
"""
