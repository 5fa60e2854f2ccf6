"""Train the demo tokenizers and write them in the layout `save_pretrained` produces.

We use the `tokenizers` library directly and write `tokenizer_config.json` and
`special_tokens_map.json` ourselves, so no transformers is needed at build time. The files
follow the transformers 4.x layout (which 5.x still reads) so that buyers on either major
version can load the demo models.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

from registry.demo.jsonfile import write_json

MODEL_MAX_LENGTH = 256

_ENDOFTEXT, _PAD = "<|endoftext|>", "<|pad|>"
_BERT_SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
# transformers' Qwen2Tokenizer pre-tokenization (models/qwen2/tokenization_qwen2.py).
_QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)


@dataclass(frozen=True)
class TrainedTokenizer:
    """What the model config needs to know about the tokenizer written next to it."""

    vocab_size: int
    bos_token_id: int | None
    eos_token_id: int | None
    pad_token_id: int


def write_byte_level_bpe(
    out_dir: Path, lines: list[str], *, vocab: int, tokenizer_class: str
) -> TrainedTokenizer:
    """A byte-level BPE: every string encodes, and decodes back exactly.

    `tokenizer_class` is "PreTrainedTokenizerFast" (GPT-2 pre-tokenization) or "Qwen2Tokenizer"
    (Qwen's split regex after NFC). The second matters because transformers 5 loads qwen2
    folders with Qwen2Tokenizer whatever they declare, and that class keeps only the vocabulary
    and merges of tokenizer.json, rebuilding the rest as Qwen's: ours must already be Qwen's.
    """
    tokenizer = Tokenizer(models.BPE())
    if tokenizer_class == "Qwen2Tokenizer":
        tokenizer.normalizer = normalizers.NFC()
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(_QWEN2_SPLIT), behavior="isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
    elif tokenizer_class == "PreTrainedTokenizerFast":
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    else:
        raise ValueError(f"no byte-level BPE layout for {tokenizer_class!r}")
    tokenizer.decoder = decoders.ByteLevel()
    tokenizer.post_processor = processors.ByteLevel(trim_offsets=False)
    tokenizer.train_from_iterator(
        lines,
        trainers.BpeTrainer(
            vocab_size=vocab,
            min_frequency=2,
            show_progress=False,
            special_tokens=[_ENDOFTEXT, _PAD],
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),  # byte fallback: no unknown text
        ),
    )
    # The usual single-token convention of small causal LMs: one token begins, ends and stands
    # in for unknown text; padding has its own id so it is never mistaken for end of text.
    special = {"bos_token": _ENDOFTEXT, "eos_token": _ENDOFTEXT, "unk_token": _ENDOFTEXT, "pad_token": _PAD}
    _write(out_dir, tokenizer, special, {"tokenizer_class": tokenizer_class})
    return TrainedTokenizer(
        vocab_size=tokenizer.get_vocab_size(),
        bos_token_id=_id(tokenizer, _ENDOFTEXT),
        eos_token_id=_id(tokenizer, _ENDOFTEXT),
        pad_token_id=_id(tokenizer, _PAD),
    )


def write_wordpiece(out_dir: Path, lines: list[str], *, vocab: int, tokenizer_class: str) -> TrainedTokenizer:
    """An uncased BERT WordPiece tokenizer, `vocab.txt` included for tools that read only that.

    The normaliser, pre-tokenizer and template are exactly BERT's, which transformers 5's
    (DistilBert|Bert)Tokenizer rebuilds around the vocabulary regardless of tokenizer.json.
    """
    normalizer = normalizers.BertNormalizer(lowercase=True)
    pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    words = Counter(
        word for line in lines for word, _ in pre_tokenizer.pre_tokenize_str(normalizer.normalize_str(line))
    )
    tokenizer = Tokenizer(models.WordPiece(_wordpiece_vocab(words, vocab), unk_token="[UNK]"))  # noqa: S106
    tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    tokenizer.decoder = decoders.WordPiece()
    tokenizer.add_special_tokens(list(_BERT_SPECIALS))
    cls_id, sep_id = _id(tokenizer, "[CLS]"), _id(tokenizer, "[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )
    special = {
        "cls_token": "[CLS]",
        "mask_token": "[MASK]",
        "pad_token": "[PAD]",
        "sep_token": "[SEP]",
        "unk_token": "[UNK]",
    }
    bert_options = {
        "tokenizer_class": tokenizer_class,
        "do_lower_case": True,
        "strip_accents": None,
        "tokenize_chinese_chars": True,
    }
    _write(out_dir, tokenizer, special, bert_options)
    by_id = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])
    (out_dir / "vocab.txt").write_text("".join(f"{token}\n" for token, _ in by_id), encoding="utf-8")
    return TrainedTokenizer(
        vocab_size=tokenizer.get_vocab_size(),
        bos_token_id=None,
        eos_token_id=None,
        pad_token_id=_id(tokenizer, "[PAD]"),
    )


def _wordpiece_vocab(words: Counter[str], size: int) -> dict[str, int]:
    """Specials, every character (alone and as a continuation), then the most frequent words.

    We count words ourselves because the `tokenizers` WordPiece trainer numbers its "##"
    pieces in hash-map order, which changes from one process to the next: the same seed would
    not give the same files. The alphabet is always kept, so vocab_size may exceed `size`.
    """
    alphabet = sorted({char for word in words for char in word})
    tokens = [*_BERT_SPECIALS, *alphabet, *(f"##{char}" for char in alphabet)]
    frequent = sorted((word for word in words if len(word) > 1), key=lambda word: (-words[word], word))
    tokens += frequent[: max(0, size - len(tokens))]
    return {token: token_id for token_id, token in enumerate(tokens)}


def _id(tokenizer: Tokenizer, token: str) -> int:
    token_id = tokenizer.token_to_id(token)
    if token_id is None:  # special tokens are always put in the vocabulary: this would be our bug
        raise RuntimeError(f"{token} is missing from the vocabulary")
    return token_id


def _write(out_dir: Path, tokenizer: Tokenizer, special: dict[str, str], options: dict[str, object]) -> None:
    tokenizer.save(str(out_dir / "tokenizer.json"))
    added = {
        str(_id(tokenizer, token)): {
            "content": token,
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
        for token in sorted(set(special.values()))
    }
    write_json(
        out_dir / "tokenizer_config.json",
        {
            "added_tokens_decoder": added,
            "clean_up_tokenization_spaces": False,  # cleanup would break decode(encode(x)) == x
            "extra_special_tokens": {},
            "model_max_length": MODEL_MAX_LENGTH,
            **special,
            **options,
        },
    )
    write_json(out_dir / "special_tokens_map.json", special)
