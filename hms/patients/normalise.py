"""Names as search and duplicate checks compare them: casefolded, accents stripped, spaces collapsed."""

import unicodedata


def name_normalise(name: str) -> str:
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(unicodedata.normalize("NFC", stripped).split())
