"""The prompts the tokenizer fixtures encode: hand-written categories of tricky text, every scalar the reference
normaliser decomposes, and seeded random strings.

`prompts()` returns them in a fixed order (the first 46 are the original fixture prompts, unchanged), with no
duplicates. Random strings are drawn with random.Random(RANDOM_SEED) from a mix of alphabets, so the list is the
same on every run. No string contains a surrogate code point (they cannot be encoded as UTF-8).
"""
import random

RANDOM_SEED = 20240917
RANDOM_COUNT = 120

ORIGINAL = [
    "",
    " ",
    "a photo of an astronaut riding a horse on mars",
    "A PHOTO of a Cat",
    "a very long prompt with many many words, " * 12,
    " ".join(["cat"] * 75),
    " ".join(["cat"] * 76),
    "café",
    "cafe\u0301",
    "\u0041\u030a and \u212b and \u00c5",
    "東京タワーの夜景",
    "中文提示词，标点。",
    "🐱🚀 cat astronaut 👩\u200d👩\u200d👧 family 🏳\ufe0f\u200d🌈",
    "1234 and 3.14159 and ２０２４",
    "it's, they're, we've, I'M, you'll, he'd, don't, IT'S",
    "it\u2019s curly",
    "'s alone, ''quoted'', 'll've, !'s",
    "hello, world! (masterpiece:1.2) [best quality] {a|b}",
    "!!!",
    "wow!",
    "! ! !",
    "!",
    "MiXeD CaSe ÉCOLE",
    "tabs\tand\nnewlines\r\n\u00a0nbsp\u2003emsp\u3000ideographic\u2028line\x1cfs\x85nel",
    "&amp; &lt;b&gt; <b>bold</b> &#39;",
    "İstanbul DİYARBAKIR ıi",
    "ligatures \ufb01 \ufb02 \ufb00 Œuvre æ",
    "zero\u200bwidth\u200cjoiner\u200d\ufeffbom",
    "control\x00chars\x07\x1b[31m\x7f",
    "ΟΔΟΣ σίσυφος ΣΊΣΥΦΟΣ",
    "<|endoftext|>",
    "<|ENDOFTEXT|>",
    "a<|startoftext|>b",
    "x <|endoftext|> y <|STARTOFTEXT|>",
    "\u01c4 \u01c5 \u01c6 titlecase, \u1e9e \u00df straße",
    "\u216b \u00bd \u00b2 \u2460",
    "한국어 and \u1112\u1161\u11ab",
    "Привет, мир!",
    "عربي mixed RTL",
    "हिन्दी देवनागरी",
    "a\u0300\u0301 stacked combining",
    "C++ & C# 100% snake_case kebab-case dot.case",
    "https://example.com/path?q=1&x=2",
    "   leading and trailing   spaces   ",
    "\ua7ce\ua7cf new in Unicode 17, \U00011de0\U00011de1, \u1c89 new in 16",
    "x" * 200,
]

PUNCTUATION_RUNS = [
    "...", "…", "?!?!", "—–-", "~~~", "***", "@@@###$$$", ",,,", ";;;::", "(((())))", "[[[]]]", "{{{}}}",
    "<<<>>>", "a,b;c:d", "hello...world", "wait—what?!", "¿qué? ¡hola!", "a.b.c.d", "''' \"\"\" ```",
    "\\back\\slash\\ /for/ward/ |pipe|", "^^ %% += -* /= <>", "a-b_c.d~e", "_____", "-----", "=====>",
    ".,;:!?", "!?", "?!", "(:", ":-) ;-) :D xD <3", "¯\\_(ツ)_/¯", "•·°†‡§¶", "©®™℠", "±×÷≠≈∞√∑∏∫",
    "←→↑↓⇒⇔", "★☆♥♦♣♠", "№℃℉‰‱",
]

DIGITS_AND_NUMBERS = [
    "0", "00000", "1234567890", "3.14", "1,000,000", "-42 +7 1e10 0x1F", "2024-01-01 12:30:45", "50% $100 €9.99",
    "v1.5 sd-v1-4 sdxl-1.0", "768x768 512×512 1080p 4K", "1/2 ¾ ⅓ ⅞", "²³ x² H₂O", "١٢٣ ٠١٢٣٤٥٦٧٨٩",
    "०१२३ ๐๑๒๓ ០១២", "〇一二三", "①②③ ⑴⑵ ⒈⒉", "Ⅰ Ⅱ Ⅻ ⅰⅱⅻ", "𝟏𝟐𝟑 𝟘𝟙", "3.141592653589793238462643383279",
    "+1 (555) 123-4567", "192.168.0.1:8080", "0.0001 1e-5 6.02e23", "007 bond", "100,000 steps at cfg 7.5",
    "seed 4294967295", "𞥐𞥑 adlam digits",
]

CONTRACTIONS = [
    "it's", "IT'S", "You'LL", "WE'RE", "I'D", "DON'T", "they'VE", "I'M", "it’s", "IT’S", "you’ll", "WE’RE",
    "'S", "'LL", "'RE 'VE 'M 'D 'T", "rock 'n' roll", "'twas o'clock ma'am", "y'all'd've", "''s", "'s's's",
    "it‘s left-quote", "it`s backtick", "it′s prime", "itʼs modifier apostrophe", "don't's", "'re'm",
    "'ll'll", "'d'd", "cat's cat’s CAT'S CAT’S", "'", "''", "' s", "'sa 'ta 'rea", "5's 90's", "!'s ?'ll .'d",
    "l'amour d'été aujourd'hui", "O'Neill's", "won't can't shan't ain't",
]

QUOTES = [
    "“hello”", "‘single’", "„German“", "«French» ‹angle›", "「Japanese」『nested』", "\"straight\"",
    "″double prime″", "〝〞", "“ ” ‘ ’", "he said “it’s fine”", "❝ornate❞ ❛quote❜",
]

ACCENTS = [
    "naïve", "nai\u0308ve", "Ångström", "A\u030angstro\u0308m", "Zoë Zoe\u0308", "résumé", "re\u0301sume\u0301",
    "Ñandú N\u0303andu\u0301", "São Paulo Sa\u0303o", "Łódź", "Dvořák Dvor\u030ca\u0301k", "Đà Nẵng",
    "Tiếng Việt", "Tie\u0302\u0301ng Vie\u0323\u0302t", "\u2126 ohm \u212a kelvin \u212b angstrom",
    "a\u0301\u0323 a\u0323\u0301", "\u0041\u0308\u0304 \u01de", "e\u0301\u0301\u0301", "\u0340\u0341 \u0958",
    "\u1e9b\u0323 long s", "\u0958\u0959 \u0915\u093c", "ÀÉÎÕÜ àéîõü", "A\u0300E\u0301I\u0302O\u0303U\u0308",
    "Ç ç C\u0327", "ŞĞIİ şğıi", "\u00c5\u0301 \u212b\u0301", "ḱṷṓn", "\u1100\u1161\u11a8 \uac01",
]

CJK = [
    "一只可爱的猫", "繁體中文提示詞", "美しい日本の風景、桜の花", "ひらがな カタカナ", "ｶﾀｶﾅ ﾊﾝｶｸ", "ＡＢＣ ａｂｃ １２３",
    "、。「」・〜", "々〆〇ヶ", "𠀀𠀁𠮷 extension B", "中文English混合mixed", "猫の写真, best quality, 傑作",
    "한국어 프롬프트, 아름다운 풍경", "ㄱㄴㄷ ㅏㅑㅓ", "\u3400\u4dbf\u9fff\u3007", "⼀⼆ radicals ⺀",
]

EMOJI = [
    "😀", "👍🏽", "👨\u200d👩\u200d👧\u200d👦", "🏳\ufe0f\u200d🌈", "🇺🇸🇯🇵🇩🇪", "🏴\U000e0067\U000e0062\U000e0073"
    "\U000e0063\U000e0074\U000e007f", "❤\ufe0f ❤", "☺\ufe0e ☺\ufe0f", "1\ufe0f\u20e3 #\ufe0f\u20e3",
    "👩🏾\u200d💻 🧑\u200d🚀", "🫠 🫨 🫩", "👋🏻👋🏼👋🏽👋🏾👋🏿", "🇦", "🇦🇧🇨", "🐕\u200d🦺 🐈\u200d⬛",
    "cat🐱dog🐶", "🔥🔥🔥 fire", "emoji at end 🎨", "👁\u200d🗨", "🧔\u200d♂\ufe0f 🧔🏻\u200d♀\ufe0f",
    "\u200d🌈\u200d",
]

HTML = [
    "&amp;", "&nbsp;", "&#x27; &#8217; &#39;", "&quot;hello&quot;", "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&copy; 2024 &reg; &trade;", "<div class=\"a\">x</div>", "<br/><hr>", "&amp;amp;", "a&b&&c",
]

WHITESPACE = [
    "a\tb", "a\n\nb", "\r", "\n", "\t\t\t", "line1\nline2\r\nline3\rline4", "\x0b\x0c", " \t\n ", "trailing\n",
    "\u00a0", "a\u00a0b", "\u1680ogham", "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a",
    "a\u2028b\u2029c", "narrow\u202fnbsp", "math\u205fspace", "\u3000", "mongolian\u180evowel", "\u0085",
    "zw\u200bsp", "\u2060word\u2060joiner", "\ufeff", "\ufeffhello", "hello\ufeff", "x\u00a0\u00a0\u2003y",
    "\x1c\x1d\x1e\x1f",
]

CONTROL_AND_SPECIAL = [
    "\x00", "a\x00b", "\x01\x02\x03\x04\x05\x06", "\x7f\x80\x9f", "bell\x07 esc\x1b", "\ufffd replacement",
    "\ufffe\uffff noncharacters", "\ue000\uf8ff private use", "\U000f0000\U0010fffd plane 15/16",
    "\u0378\u0380 unassigned", "\U000e0041\U000e0042 tags", "\u200e\u200f\u202a\u202b\u202c bidi",
    "\u00ad soft\u00adhyphen", "\u034f grapheme joiner", "<|endoftext|><|endoftext|>", "<|startoftext|>",
    "<|endoftext", "endoftext|>", "<|endoftext |>", "x<|endoftext|>y", "<|startoftext|>cat<|endoftext|>",
    "< |endoftext|>", "\u0130<|endoftext|>",
]

ASTRAL = [
    "𝐀𝐁𝐂 𝕏 𝓗𝓮𝓵𝓵𝓸", "𐌰𐌱𐌲 gothic", "𒀀𒀁 cuneiform", "𓀀𓀁 hieroglyphs", "𝄞𝄢 music", "🀄🃏", "𐐀𐐁 𐐨𐐩 deseret",
    "𞤀𞤢 adlam", "𐓀 osage", "\U00010d50\U00010d70 garay", "\U00016d67\U00016d67 \U00016d68 kirat rai",
    "\U00011382\U000113c9 \U00011383 tulu-tigalari", "\U0001611e\U0001611e gurung khema", "\U000105c0 todhri",
    "\U0001e5d0 ol onal", "\U00011bc0 sunuwar", "\U00010940 sidetic", "\U00016ea0 beria", "\U0001e6c0 tai yo",
    "\U000323b0 ext j", "\U0001f8b0\U0001f8b1 arrows",
]

SCRIPTS = [
    "Москва — столица России", "ЁЛКА ёлка", "Ελληνικά κείμενα", "ΆΈΉ άέή ΐΰ", "مرحبا بالعالم",
    "\u0628\u0650\u0633\u0652\u0645\u0650 harakat", "שלום עולם", "\u05e9\u05c1\u05b8\u05dc\u05d5\u05b9\u05dd niqqud",
    "नमस्ते दुनिया", "क्\u200dष क्\u200cष", "สวัสดีชาวโลก", "ภาษาไทยไม่มีช่องว่างระหว่างคำ", "안녕하세요 세계",
    "Հայերեն", "ქართული ᲥᲐᲠᲗᲣᲚᲘ", "ᎠᎡᎢ ꭰꭱ cherokee", "አማርኛ", "தமிழ்", "বাংলা", "བོད་ཡིག", "ᠮᠣᠩᠭᠣᠯ",
    "می\u200cخواهم", "Ǆemal ǅ", "ﬀ ﬃ ﬆ", "русский and English and 中文 and العربية",
    "Ꙗ ꙗ Ѩ ѩ", "ʻOkina ʻŌlelo", "ǀǁǂǃ clicks", "ß ẞ ﬅ",
]

COMBINING = [
    "Z\u0334\u0321\u031ba\u0336l\u0337g\u0338o\u0335", "a\u20dd", "\u0301abc", " \u0301", "x\u0300\u0301\u0302\u0303\u0304",
    "\u20dd\u20de", "e\u0301 vs \u00e9", "ก\u0e48\u0e49", "o\u0328\u0304 \u01ed",
]

SD_PROMPTS = [
    "(masterpiece:1.2), best quality, ultra-detailed, 8k uhd, dslr, soft lighting, film grain",
    "((masterpiece)), (((best quality))), [low quality], [[worst quality]]",
    "a portrait of a woman, (freckles:0.8), [red|blue] hair, {smiling|serious}",
    "landscape, mountains, lake, sunset --ar 16:9 --v 5 --q 2",
    "cyberpunk city at night, neon lights, rain, reflections, by Syd Mead and Moebius, trending on artstation",
    "a cat wearing a hat, digital art, <lora:catstyle:0.7>, <hypernet:foo:1>",
    "photo of a dog, 35mm, f/1.8, ISO 100, 1/250s, bokeh",
    "(worst quality, low quality:1.4), lowres, bad anatomy, bad hands, text, error, missing fingers",
    "AND a red car AND a blue sky", "[cat:dog:0.5] morphing, [cat::10] [:dog:5]",
    "anime girl, 1girl, solo, long hair, looking at viewer, blush, smile, :d, ^_^",
    "masterpiece,best quality,highres,extremely detailed CG unity 8k wallpaper",
    "a photo of an astronaut riding a horse on mars, highly detailed, 4k, photorealistic, octane render",
    "oil painting of a ship in a storm, by J.M.W. Turner, 19th century",
    "studio ghibli style, totoro, forest, (watercolor:1.3)",
    "sks person, portrait, 50mm", "Instruct: turn him into a cyborg", "make it snowy",
    "a bowl of fruit; still life; chiaroscuro; 17th-century Dutch", "embedding:EasyNegative, (nsfw:1.5)",
    "\\(escaped parens\\) \\[brackets\\]", "a     lot     of     spaces,,,,,,,commas",
    "photo, 8k, uhd, hdr, raw photo, canon eos r5, 85mm lens", "--no text --seed 1234 --stylize 750",
    "BREAK a tree BREAK a house", "score_9, score_8_up, score_7_up, source_anime",
    "(a:1.1) (b:1.21) (c:1.331) (d:0.9)", "portrait, (((((((eyes))))))) [[[[[mouth]]]]]",
]

WEB = [
    "https://huggingface.co/runwayml/stable-diffusion-v1-5", "http://example.org:8080/a/b?c=d#frag",
    "www.example.com", "ftp://files.example.net/x.tar.gz", "user.name+tag@example.co.uk",
    "contact me at someone@example.com!", "#hashtag #AI #StableDiffusion #アート", "@username mention",
    "C:\\Users\\me\\image.png", "/home/user/photo_01.jpg", "data:image/png;base64,iVBORw0KGgo=",
    "https://例え.jp/パス", "mailto:a@b.c",
]

LONG_WORDS = [
    "supercalifragilisticexpialidocious", "pneumonoultramicroscopicsilicovolcanoconiosis",
    "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft",
    "abcdefghijklmnopqrstuvwxyz" * 10, "ab" * 150, "a" * 500, "qzxjkvbwpfmg" * 20, "🙂" * 50, "....." * 100,
    "ภาษาไทย" * 30, "Привет" * 40, "日本語" * 60, "x1" * 100, "!?" * 120, "lol" * 100, "aaaaaaaaaaaaaaaab",
    "antidisestablishmentarianism", "Llanfairpwllgwyngyllgogerychwyrndrobwllllantysiliogogogoch",
]

REPEATS = [
    "cat cat cat", "the the the the the", "((((((masterpiece))))))", "best quality, best quality, best quality",
    " ".join(["cat"] * 73), " ".join(["cat"] * 74), " ".join(["cat"] * 77), " ".join(["cat"] * 100),
    "cat, " * 38, "a " * 80, "😀 " * 40, "\u00e9 " * 80, "hello world " * 40, "!" * 2, "!" * 5, "!" * 10,
    "!" * 16, "!" * 50, "!" * 76, "!" * 100, "wow!!", "hello!!!world", "(!)", "!\"", "! ! ! ! ! ! ! ! ! !",
    "!!! !!! !!!", "!a!b!c!", "a!" * 60,
]

ALL_CAPS = [
    "A PHOTO OF AN ASTRONAUT RIDING A HORSE", "HDR, UHD, 8K, RAW", "NSFW", "ÉCOLE NORMALE SUPÉRIEURE",
    "ΑΘΗΝΑ", "МОСКВА", "HELLO WORLD!!!", "I'M HERE AND YOU'LL SEE", "STRASSE STRAẞE",
]

WHITESPACE_ONLY = ["   ", "\n\n", "\t", " \u3000 ", "\u2003"]

# NFC edge cases: the reference normalises with Unicode 9.0 data; Foundation's NFC got each of these wrong.
NORMALIZATION = [
    "\u0f73\u0f73 \u0f75\u0f75 \u0f81\u0f81", "\u0f71\u0f72\u0f71\u0f72 \u0f73\u0f71", "a\u0f73\u0f72\u0f71",
    "\ucb80\u11b7 \uac00\u11a8 \ud4cc\u11b1", "\uac01\u11a8 \u1100\uac00 \u1100\u1161\u11a8\u11a8",
    "\u1112\u1161 \ud558\u11ab \u115f\u1160\u11a8",
    "\U00010435\u0300 \U00010400\u0301 \U0001d41a\u0308 \U0001e921\u0303",
    "\U00010435\u20d2\u034e\u0300", "a\u1abf\u0334 a\u0334\u1abf", "a\u1df6\u07f1 a\u1df5\u1df6",
    "\u1ee6\u2339\u1abf\u08f9\u0334", "a\u08d3\u0316 a\u08d4\u0316 a\u1dfa\u08d0", "e\u1ace\u035a\u0301",
    "\U00011938 \U00011935\U00011930 \U000105c9 \U000105d2\u0307", "\u0344\u0301 \u0340\u0341\u0343",
    "\u212b\u0323 \u00c5\u0323 \u1e69 s\u0307\u0323", "\u0b47\u0b3e \u0b4b \u09c7\u09be \u0dd9\u0dcf\u0dca",
    "\u1b05\u1b35 \U00011099\U000110ba \U00011347\U0001133e", "\u2add\u0338 \u2adc \u0915\u093c \u0958",
]

CATEGORIES = [
    ORIGINAL, PUNCTUATION_RUNS, DIGITS_AND_NUMBERS, CONTRACTIONS, QUOTES, ACCENTS, CJK, EMOJI, HTML, WHITESPACE,
    CONTROL_AND_SPECIAL, ASTRAL, SCRIPTS, COMBINING, SD_PROMPTS, WEB, LONG_WORDS, REPEATS, ALL_CAPS,
    WHITESPACE_ONLY, NORMALIZATION,
]


def code_points(*ranges: tuple[int, int]) -> list[str]:
    return [chr(c) for first, last in ranges for c in range(first, last + 1)]


# Alphabets the random strings draw from; each is a list of code points (no surrogates).
ALPHABETS = {
    "ascii_letters": code_points((0x41, 0x5A), (0x61, 0x7A)),
    "digits": code_points((0x30, 0x39)),
    "ascii_punctuation": code_points((0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)),
    "spaces": [" ", " ", " ", "\t", "\n", "\r", "\u00a0", "\u2003", "\u3000", "\u2028", "\u0085", "\u202f"],
    "latin1": code_points((0xA0, 0xFF)),
    "latin_extended": code_points((0x100, 0x24F), (0x1E00, 0x1EFF)),
    "combining": code_points((0x300, 0x36F), (0x1AB0, 0x1ABE), (0x20D0, 0x20F0)),
    "greek": code_points((0x370, 0x377), (0x37A, 0x37F), (0x384, 0x38A), (0x38C, 0x38C), (0x38E, 0x3A1),
                         (0x3A3, 0x3FF), (0x1F00, 0x1F15)),
    "cyrillic": code_points((0x400, 0x4FF)),
    "hebrew": code_points((0x591, 0x5C7), (0x5D0, 0x5EA)),
    "arabic": code_points((0x600, 0x6FF)),
    "devanagari": code_points((0x900, 0x97F)),
    "thai": code_points((0xE01, 0xE3A), (0xE3F, 0xE5B)),
    "hangul": code_points((0xAC00, 0xD7A3), (0x1100, 0x11FF), (0x3131, 0x318E)),
    "kana": code_points((0x3041, 0x3096), (0x30A0, 0x30FF), (0xFF66, 0xFF9D)),
    "cjk": code_points((0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x3000, 0x303F)),
    "fullwidth": code_points((0xFF01, 0xFF5E)),
    "emoji": code_points((0x1F300, 0x1F5FF), (0x1F600, 0x1F64F), (0x1F900, 0x1F9FF), (0x2600, 0x26FF)),
    "emoji_joiners": ["\u200d", "\ufe0f", "\ufe0e", "\U0001f3fb", "\U0001f3fc", "\U0001f3fd", "\U0001f3fe",
                      "\U0001f3ff", "\u20e3"] + code_points((0x1F1E6, 0x1F1FF)),
    "format_and_control": code_points((0x0, 0x8), (0xE, 0x1F), (0x7F, 0x9F), (0x200B, 0x200F), (0x2060, 0x2064),
                                      (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFD)),
    "astral_letters": code_points((0x10400, 0x1044F), (0x1D400, 0x1D4FF), (0x10330, 0x1034A), (0x1E900, 0x1E95F),
                                  (0x12000, 0x1203F)),
    "recent_unicode": code_points((0x10D40, 0x10D8F), (0x16D40, 0x16D79), (0x11380, 0x113FF), (0x16100, 0x16139),
                                  (0x105C0, 0x105F3), (0x1E5D0, 0x1E5FF), (0x11BC0, 0x11BE1), (0x10940, 0x1095F),
                                  (0x11DB0, 0x11DEF), (0x1E6C0, 0x1E6FF), (0x2C00, 0x2C7F), (0xA720, 0xA7FF)),
    "pieces": ["'s", "'S", "'ll", "'LL", "'re", "'ve", "'m", "'d", "'t", "\u2019s", "\u2019LL", "<|endoftext|>",
               "<|startoftext|>", "&amp;", "&#39;", "(", ")", "[", "]", ":1.2", "|", "!", "!!", "...", "\u201c",
               "\u201d", "\u2018", "\u2019", "masterpiece", "best quality", "8k uhd", ", ", "--ar 16:9",
               "https://", ".com", "@", "#", "3.14", "1,000,000"],
}


def random_string(rng: random.Random) -> str:
    """A string of 1 to 14 runs, each 1 to 12 items from one alphabet; one in eight strings is made long."""
    names = sorted(ALPHABETS)
    runs = []
    for _ in range(rng.randint(1, 14)):
        alphabet = ALPHABETS[rng.choice(names)]
        runs.append("".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))))
        if rng.random() < 0.5:
            runs.append(" ")
    text = "".join(runs)
    if rng.random() < 0.125:
        text = (text + " ") * rng.randint(4, 12)
    return text


def decomposable_prompts(per_prompt: int = 40) -> list[str]:
    """Every scalar the reference's NFD decomposes (Hangul syllables: every 97th), each followed by its NFD
    form, 40 to a prompt: checks decomposition, composition exclusions and recomposition exhaustively."""
    from tokenizers import normalizers

    nfd = normalizers.NFD()
    pairs = []
    for code in range(0x110000):
        if 0xD800 <= code <= 0xDFFF or (0xAC00 <= code <= 0xD7A3 and (code - 0xAC00) % 97):
            continue
        decomposed = nfd.normalize_str(chr(code))
        if decomposed != chr(code):
            pairs.append(chr(code) + decomposed)
    return [" ".join(pairs[i:i + per_prompt]) for i in range(0, len(pairs), per_prompt)]


def random_strings(count: int = RANDOM_COUNT, seed: int = RANDOM_SEED) -> list[str]:
    rng = random.Random(seed)
    return [random_string(rng) for _ in range(count)]


def prompts() -> list[str]:
    """Every hand-written prompt, then the random ones; duplicates removed, first occurrence kept."""
    everything = [p for category in CATEGORIES for p in category] + decomposable_prompts() + random_strings()
    for p in everything:
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in p), "surrogate in prompt"
    return list(dict.fromkeys(everything))
