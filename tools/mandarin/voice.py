"""The espeak-ng voice that reads Mandarin narration: Latin script as pinyin, so tone-numbered
syllables put in by the lexicon and sandhi are read as Mandarin, never as English."""

VOICE = "cmn-latn-pinyin"
