"""Tokenizer fixtures: the ids transformers' CLIPTokenizer gives for a list of tricky prompts.

The prompts (hand-written categories, every scalar the reference NFD decomposes, seeded random strings) come
from tokenizer_prompts.py.

Written into Tests/Fixtures/tokenizer/:
  variants/<name>/{special_tokens_map.json, tokenizer_config.json}
      special-token files as SD checkpoints ship them; the tests pair each with weights/clip-tokenizer's
      vocab.json + merges.txt (not duplicated here):
        sd1          openai/clip-vit-large-patch14 style (pad <|endoftext|>)
        sd2          SD 2.x style: special_tokens_map.json says pad "!", tokenizer_config.json says <|endoftext|>
        sd1-decoder  saved by later transformers 4: tokenizer_config.json with added_tokens_decoder, no map
        sd2-decoder  the same with pad "!" (id 0) listed in added_tokens_decoder
        bare         no special-token files at all (CLIPTokenizer's defaults)
  full.json
      {"prompts": [...], "variants": {name: {"pad_token_id", "model_max_length", "max_length" (77),
       "ids": [[max_length ids, trailing pad ids cut off] per prompt], "content_ids": [[ids without BOS/EOS/padding, untruncated] per prompt]}}}
  small-vocab/{vocab.json, merges.txt, special_tokens_map.json, tokenizer_config.json}
      a small CLIP tokenizer: the first SMALL_MERGES merges, without the byte symbols of a few UTF-8 lead bytes
      (so CJK and emoji hit the unknown token), SD 2.x special tokens
  small-json/tokenizer.json
      the same tokenizer as transformers 5 saves it (tokenizer.json only)
  small.json
      {"prompts": [...], "forms": {"small-vocab": {...}, "small-json": {...}}} with the fields of full.json
  long_words.json
      {"prompts": [one word thousands of bytes long, ...], "content_ids": [[untruncated ids] per prompt]}

Every encoding uses padding="max_length", truncation=True, max_length=77, as the diffusers pipelines do.
To keep the files small, "ids" rows omit their trailing run of pad_token_id (with pad = EOS the EOS goes too);
appending pad_token_id up to max_length restores transformers' row exactly (asserted when written).
"""
import json
import pathlib
import shutil
import tempfile

from transformers import CLIPTokenizer

import tokenizer_prompts

REPO = pathlib.Path(__file__).resolve().parents[2]
CLIP_FILES = REPO / "weights" / "clip-tokenizer"
MAX_LENGTH = 77
SMALL_MERGES = 1000
# UTF-8 lead bytes whose byte symbols the small vocabulary leaves out: 0xE3 (CJK), 0xF0 (emoji, 4-byte).
SMALL_MISSING_BYTES = [0xE3, 0xF0]

BOS = "<|startoftext|>"
EOS = "<|endoftext|>"

PROMPTS = tokenizer_prompts.prompts()

SPECIAL = {"content": None, "lstrip": False, "normalized": True, "rstrip": False, "single_word": False}


def token(content: str, **overrides) -> dict:
    return {**SPECIAL, "content": content, **overrides}


def decoder_entry(content: str, normalized: bool) -> dict:
    return {**token(content, normalized=normalized), "special": True}


def variant_files() -> dict[str, dict[str, dict]]:
    sd1_map = json.loads((CLIP_FILES / "special_tokens_map.json").read_text())
    sd1_config = json.loads((CLIP_FILES / "tokenizer_config.json").read_text())
    sd2_map = {**sd1_map, "pad_token": "!"}
    decoder_config = {
        "add_prefix_space": False,
        "bos_token": BOS,
        "clean_up_tokenization_spaces": True,
        "do_lower_case": True,
        "eos_token": EOS,
        "errors": "replace",
        "model_max_length": MAX_LENGTH,
        "pad_token": EOS,
        "tokenizer_class": "CLIPTokenizer",
        "unk_token": EOS,
    }
    sd1_decoder = {
        **decoder_config,
        "added_tokens_decoder": {"49406": decoder_entry(BOS, True), "49407": decoder_entry(EOS, False)},
    }
    sd2_decoder = {
        **decoder_config,
        "pad_token": "!",
        "added_tokens_decoder": {
            "0": decoder_entry("!", False),
            "49406": decoder_entry(BOS, True),
            "49407": decoder_entry(EOS, False),
        },
    }
    return {
        "sd1": {"special_tokens_map.json": sd1_map, "tokenizer_config.json": sd1_config},
        "sd2": {"special_tokens_map.json": sd2_map, "tokenizer_config.json": sd1_config},
        "sd1-decoder": {"tokenizer_config.json": sd1_decoder},
        "sd2-decoder": {"tokenizer_config.json": sd2_decoder},
        "bare": {},
    }


def write_json(path: pathlib.Path, value, indent=2) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=indent, ensure_ascii=False) + "\n", encoding="utf-8")


def without_padding(row: list[int], pad_id: int) -> list[int]:
    """`row` with its trailing run of pad ids cut off; appending pad ids up to MAX_LENGTH restores it."""
    end = len(row)
    while end > 0 and row[end - 1] == pad_id:
        end -= 1
    cut = row[:end]
    assert cut + [pad_id] * (MAX_LENGTH - len(cut)) == row
    return cut


def encodings(folder: pathlib.Path, prompts: list[str]) -> dict:
    tokenizer = CLIPTokenizer.from_pretrained(str(folder))
    ids = [
        tokenizer(p, padding="max_length", truncation=True, max_length=MAX_LENGTH)["input_ids"] for p in prompts
    ]
    assert all(len(row) == MAX_LENGTH for row in ids)
    content = [tokenizer(p, add_special_tokens=False)["input_ids"] for p in prompts]
    return {
        "pad_token_id": tokenizer.pad_token_id,
        "model_max_length": min(tokenizer.model_max_length, 10**9),
        "max_length": MAX_LENGTH,
        "ids": [without_padding(row, tokenizer.pad_token_id) for row in ids],
        "content_ids": content,
    }


def compact(value, indent: str = "") -> str:
    """JSON with one prompt or one encoding per line, so diffs of regenerated fixtures stay readable."""
    if isinstance(value, dict):
        inner = indent + " "
        items = [f"{inner}{json.dumps(k)}:{compact(v, inner)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    if isinstance(value, list) and value and isinstance(value[0], (list, str)):
        rows = [json.dumps(v, ensure_ascii=False, separators=(",", ":")) for v in value]
        return "[\n" + ",\n".join(rows) + "\n" + indent + "]"
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def full_fixtures(out_dir: pathlib.Path) -> None:
    results = {}
    for name, files in variant_files().items():
        variant_dir = out_dir / "variants" / name
        if variant_dir.exists():
            shutil.rmtree(variant_dir)
        variant_dir.mkdir(parents=True)
        if not files:
            (variant_dir / ".keep").write_text("")  # the bare variant has no files but must exist
        for filename, content in files.items():
            write_json(variant_dir / filename, content)
        with tempfile.TemporaryDirectory() as tmp:
            folder = pathlib.Path(tmp)
            for filename in ["vocab.json", "merges.txt"]:
                shutil.copy(CLIP_FILES / filename, folder / filename)
            for filename in files:
                shutil.copy(variant_dir / filename, folder / filename)
            results[name] = encodings(folder, PROMPTS)
    assert results["sd1"]["pad_token_id"] == 49407 and results["sd2"]["pad_token_id"] == 0
    (out_dir / "full.json").write_text(compact({"prompts": PROMPTS, "variants": results}) + "\n", encoding="utf-8")


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's byte → unicode character table, as in weights/make_clip_tokenizer.py."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def small_vocabulary() -> tuple[dict[str, int], list[tuple[str, str]]]:
    full_vocab = json.loads((CLIP_FILES / "vocab.json").read_text(encoding="utf-8"))
    byte_symbols = sorted(full_vocab, key=full_vocab.get)[:256]  # in bytes_to_unicode order, not byte order
    missing = {bytes_to_unicode()[b] for b in SMALL_MISSING_BYTES}
    base = [s for s in byte_symbols if s not in missing]
    base = base + [s + "</w>" for s in base]
    lines = (CLIP_FILES / "merges.txt").read_text(encoding="utf-8").split("\n")[1:]
    merges, tokens = [], set(base)
    for line in lines:
        if len(merges) == SMALL_MERGES:
            break
        left, right = line.split(" ")
        if left in tokens and right in tokens:
            merges.append((left, right))
            tokens.add(left + right)
    ordered = base + [a + b for a, b in merges]
    ordered = list(dict.fromkeys(ordered)) + [BOS, EOS]
    return {t: i for i, t in enumerate(ordered)}, merges


def small_fixtures(out_dir: pathlib.Path) -> None:
    vocab, merges = small_vocabulary()
    vocab_dir, json_dir = out_dir / "small-vocab", out_dir / "small-json"
    for folder in (vocab_dir, json_dir):
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
    (vocab_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False) + "\n", encoding="utf-8")
    merges_text = "#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges)
    (vocab_dir / "merges.txt").write_text(merges_text, encoding="utf-8")
    sd2 = variant_files()["sd2"]
    for filename, content in sd2.items():
        write_json(vocab_dir / filename, content)
    with tempfile.TemporaryDirectory() as tmp:
        CLIPTokenizer.from_pretrained(str(vocab_dir)).save_pretrained(tmp)
        shutil.copy(pathlib.Path(tmp) / "tokenizer.json", json_dir / "tokenizer.json")
    forms = {name: encodings(out_dir / name, PROMPTS) for name in ("small-vocab", "small-json")}
    unk = vocab[EOS]
    assert any(unk in row for row in forms["small-vocab"]["content_ids"]), "small vocabulary never hits unk"
    (out_dir / "small.json").write_text(compact({"prompts": PROMPTS, "forms": forms}) + "\n", encoding="utf-8")


def long_word_fixtures(out_dir: pathlib.Path) -> None:
    """Single words thousands of bytes long (where a quadratic BPE stalls), with transformers' untruncated ids."""
    import random
    rng = random.Random(17)
    words = ["a" * 3000, "ab" * 1500, "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(3000)),
             "\U0001F98A" * 500, "supercalifragilistic" * 150, "ñandú" * 400]
    tokenizer = CLIPTokenizer(str(CLIP_FILES / "vocab.json"), str(CLIP_FILES / "merges.txt"))
    ids = [tokenizer(w, add_special_tokens=False)["input_ids"] for w in words]
    (out_dir / "long_words.json").write_text(json.dumps({"prompts": words, "content_ids": ids}, ensure_ascii=False))


def generate(out_dir: pathlib.Path) -> None:
    full_fixtures(out_dir)
    small_fixtures(out_dir)
    long_word_fixtures(out_dir)
