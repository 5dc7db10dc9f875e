from typing import Any as Buffer

def words(
    texts: list[str], kind: Buffer, fold: Buffer, digit: Buffer, /
) -> tuple[bytearray, bytearray, bytearray, bytearray, bytearray]: ...
def marked(text: str, table: Buffer, /) -> bool: ...
def anchors(
    shingles: Buffer,
    words: Buffer,
    numeric: Buffer,
    starts: Buffer,
    size: int,
    rate: int,
    limit: int,
    stops: Buffer,
    probes: int,
    /,
) -> tuple[bytearray, bytearray]: ...
def shingles(hashes: Buffer, size: int, /) -> bytearray: ...
def line_hashes(
    hashes: Buffer, lines: Buffer, numeric: Buffer, /
) -> tuple[bytearray, bytearray, bytearray]: ...
def shared(left: Buffer, right: Buffer, /) -> int: ...
def line_ends(texts: list[str], /) -> bytearray: ...
