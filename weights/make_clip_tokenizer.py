#!/usr/bin/env python3
"""Builds the CLIP BPE tokenizer files in Hugging Face format (weights/clip-tokenizer/) from the merges list that
open_clip ships, reproducing the vocabulary construction of OpenAI's / open_clip's SimpleTokenizer.

Vocabulary (49408 entries, in id order):
    0 ..   255  the 256 byte-to-unicode characters (GPT-2's reversible byte mapping)
  256 ..   511  the same 256 characters with the end-of-word suffix "</w>"
  512 .. 49405  one token per merge, the concatenation of its two halves (48894 merges)
  49406, 49407  "<|startoftext|>", "<|endoftext|>"
The merges are lines[1 : 49152 - 256 - 2 + 1] of bpe_simple_vocab_16e6.txt.gz (line 0 is a version header).

Usage (from the repository root, in the reference venv):
    python weights/make_clip_tokenizer.py            # writes weights/clip-tokenizer/ and verifies it
    python weights/make_clip_tokenizer.py --check    # only verifies the committed files

Verification: transformers' CLIPTokenizer loaded from the written folder gives the same ids as open_clip's
SimpleTokenizer on a set of strings whose text cleanup agrees between the two (open_clip additionally runs
ftfy and html.unescape), and ids 49406 / 49407 are the start / end tokens.
"""
import argparse
import gzip
import json
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "clip-tokenizer"

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"
VOCAB_SIZE = 49408
MERGE_COUNT = 49152 - 256 - 2  # 48894

# Strings on which open_clip's cleanup (ftfy, html.unescape, whitespace collapse, lower) and transformers'
# normalizer (NFC, whitespace collapse, lower) agree, so the ids must be identical.
CHECK_STRINGS = [
    "",
    "a photo of a cat",
    "A Photo Of A CAT, highly detailed, 8k, trending on artstation",
    "it's a dog's life; they're here, we've got 'em, I'm sure you'll see what he'd do",
    "1234 numbers 56.78 and 9,000",
    "café naïve résumé Ærøskøbing",
    "東京タワー の 夜景",
    "emoji 🐱🚀 and symbols ©®™ ±×÷",
    "punctuation!!! ??? ... --- ((parentheses)) [brackets] {braces}",
    "   leading and trailing   spaces   ",
    "tabs\tand\nnewlines\r\nmixed",
    "an extremely long prompt " * 20,
    "Привет мир",
    "مرحبا بالعالم",
    "snake_case and kebab-case and CamelCase",
]


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's reversible byte → printable unicode character table (same code as open_clip / OpenAI CLIP)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2**8):
        if b not in bs:
            bs.append(b)
            cs.append(2**8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def open_clip_bpe_path() -> pathlib.Path:
    import open_clip.tokenizer

    return pathlib.Path(open_clip.tokenizer.default_bpe())


def build(bpe_path: pathlib.Path) -> tuple[dict[str, int], list[tuple[str, str]]]:
    lines = gzip.open(bpe_path).read().decode("utf-8").split("\n")
    merges = [tuple(line.split()) for line in lines[1 : MERGE_COUNT + 1]]
    assert len(merges) == MERGE_COUNT and all(len(m) == 2 for m in merges), "unexpected merges file layout"
    byte_chars = list(bytes_to_unicode().values())
    tokens = byte_chars + [c + "</w>" for c in byte_chars] + ["".join(m) for m in merges] + [BOS, EOS]
    vocab = {token: index for index, token in enumerate(tokens)}
    assert len(vocab) == VOCAB_SIZE, f"vocabulary has {len(vocab)} distinct tokens, expected {VOCAB_SIZE}"
    return vocab, merges


def special_token(content: str) -> dict:
    return {"content": content, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}


def write(vocab: dict[str, int], merges: list[tuple[str, str]], out: pathlib.Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False) + "\n", encoding="utf-8")
    merges_text = "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges)
    (out / "merges.txt").write_text(merges_text, encoding="utf-8")
    # The same special-token files as openai/clip-vit-large-patch14 (and the SD 1.x tokenizer folders).
    special_tokens_map = {
        "bos_token": special_token(BOS),
        "eos_token": special_token(EOS),
        "pad_token": EOS,
        "unk_token": special_token(EOS),
    }
    (out / "special_tokens_map.json").write_text(json.dumps(special_tokens_map, indent=2) + "\n", encoding="utf-8")
    tokenizer_config = {
        "add_prefix_space": False,
        "bos_token": {"__type": "AddedToken", **special_token(BOS)},
        "do_lower_case": True,
        "eos_token": {"__type": "AddedToken", **special_token(EOS)},
        "errors": "replace",
        "model_max_length": 77,
        "pad_token": EOS,
        "special_tokens_map_file": "./special_tokens_map.json",
        "tokenizer_class": "CLIPTokenizer",
        "unk_token": {"__type": "AddedToken", **special_token(EOS)},
    }
    (out / "tokenizer_config.json").write_text(json.dumps(tokenizer_config, indent=2) + "\n", encoding="utf-8")


def verify(out: pathlib.Path) -> None:
    from open_clip.tokenizer import SimpleTokenizer
    from transformers import CLIPTokenizer

    reference = SimpleTokenizer()
    tokenizer = CLIPTokenizer.from_pretrained(str(out))
    assert tokenizer.bos_token_id == 49406 and tokenizer.convert_ids_to_tokens(49406) == BOS, "BOS is not 49406"
    assert tokenizer.eos_token_id == 49407 and tokenizer.convert_ids_to_tokens(49407) == EOS, "EOS is not 49407"
    assert tokenizer.pad_token_id == 49407, "SD 1.x pad token must be <|endoftext|>"
    assert tokenizer.model_max_length == 77
    assert reference.sot_token_id == 49406 and reference.eot_token_id == 49407
    for text in CHECK_STRINGS:
        expected = [reference.sot_token_id] + reference.encode(text) + [reference.eot_token_id]
        actual = tokenizer(text)["input_ids"]
        assert actual == expected, f"ids differ for {text!r}:\n transformers {actual}\n open_clip    {expected}"
        padded = tokenizer(text, padding="max_length", max_length=77, truncation=True)["input_ids"]
        context = reference([text])[0].tolist()  # open_clip pads with 0 and truncates to 77 keeping EOT last
        count = min(len(expected), 77)
        assert padded[:count] == context[:count], f"truncated ids differ for {text!r}"
        assert len(padded) == 77 and all(i == 49407 for i in padded[count:])
    print(f"verified {len(CHECK_STRINGS)} strings: transformers CLIPTokenizer == open_clip SimpleTokenizer")


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="only verify the files already written")
    args = parser.parse_args(argv)
    if not args.check:
        vocab, merges = build(open_clip_bpe_path())
        write(vocab, merges, OUT)
        print(f"wrote {OUT} ({len(vocab)} tokens, {len(merges)} merges)")
    verify(OUT)


if __name__ == "__main__":
    main(sys.argv[1:])
