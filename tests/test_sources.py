from __future__ import annotations

import gzip
import json
import os
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from storyline.errors import ExtractionError, InputError, SourceError
from storyline.sources import InputReader, RawDocument, decode

MB = 1_000_000
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10\x00\x00\x00\x10\x08\x06\x00\x00"
    b"\x00\x1f\xf3\xffa\x00\x00\x00\x04sBIT\x08\x08\x08\x08|\x08d\x88\x00\x00\x00\tpHYs"
)
BODY = (
    "Cafe owners in the old town protested against new rent rules on Monday.\n\n"
    "The council said it would review the rules next month."
)


def read(*inputs: str | Path, max_bytes: int = 5 * MB) -> list[RawDocument | InputError]:
    return list(InputReader(inputs, max_bytes))


def documents(items: list[RawDocument | InputError]) -> list[RawDocument]:
    assert not [item for item in items if isinstance(item, InputError)], items
    return [item for item in items if isinstance(item, RawDocument)]


def only_error(items: list[RawDocument | InputError]) -> InputError:
    assert len(items) == 1, items
    assert isinstance(items[0], InputError), items
    return items[0]


# -- formats ------------------------------------------------------------------------


def test_sources_text_file_is_one_text_document(write: Callable[..., Path]) -> None:
    path = write("story.txt", "Title\n\n" + BODY)
    [doc] = documents(read(path))
    assert doc.kind == "text"
    assert doc.content == "Title\n\n" + BODY
    assert doc.origin == str(path)
    assert doc.path == str(path)


def test_sources_html_file_is_one_html_document(write: Callable[..., Path]) -> None:
    page = "<html><body><p>" + BODY + "</p></body></html>"
    [doc] = documents(read(write("page.htm", page)))
    assert doc.kind == "html"
    assert doc.content == page


def test_sources_jsonl_file_yields_one_record_per_line_with_line_origins(
    write: Callable[..., Path],
) -> None:
    path = write("feed.jsonl", [{"title": "One", "text": BODY}, {"title": "Two", "text": BODY}])
    docs = documents(read(path))
    assert [doc.kind for doc in docs] == ["record", "record"]
    assert [doc.content["title"] for doc in docs] == ["One", "Two"]  # type: ignore[index]
    assert [doc.origin for doc in docs] == [f"{path}:1", f"{path}:2"]
    assert {doc.path for doc in docs} == {str(path)}


def test_sources_jsonl_skips_blank_lines_but_counts_them(write: Callable[..., Path]) -> None:
    line = json.dumps({"text": BODY})
    path = write("feed.jsonl", f"\n{line}\n   \n{line}\n\n")
    assert [doc.origin for doc in documents(read(path))] == [f"{path}:2", f"{path}:4"]


def test_sources_jsonl_with_bom_and_crlf_lines(write: Callable[..., Path]) -> None:
    lines = [json.dumps({"title": t, "text": BODY}) for t in ("One", "Two")]
    path = write("feed.jsonl", "\ufeff" + "\r\n".join(lines) + "\r\n")
    assert [doc.content["title"] for doc in documents(read(path))] == ["One", "Two"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        ('{"title": "A record", "text": "' + BODY.replace("\n", " ") + '"}\n', "record"),
        ("\ufeff  <!DOCTYPE html><html><body><p>" + BODY + "</p></body></html>", "html"),
        ("<html lang='en'><body><p>" + BODY + "</p></body></html>", "html"),
        ("Plain title\n\n" + BODY, "text"),
    ],
    ids=["json", "doctype-with-bom", "html", "text"],
)
def test_sources_format_without_extension_is_sniffed(
    write: Callable[..., Path], content: str, kind: str
) -> None:
    [doc] = documents(read(write("incoming/article", content)))
    assert doc.kind == kind


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("story.txt.gz", "Title\n\n" + BODY, "text"),
        ("page.html.gz", "<html><body><p>" + BODY + "</p></body></html>", "html"),
        ("feed.jsonl.gz", [{"text": BODY}, {"text": BODY + " Again."}], "record"),
        ("feed.ndjson.GZ", [{"text": BODY}], "record"),
    ],
)
def test_sources_gzip_variants_read_like_the_plain_file(
    write: Callable[..., Path], name: str, content: str | list[object], kind: str
) -> None:
    gz = documents(read(write(name, content)))
    plain = documents(read(write(name[: -len(".gz")], content)))
    assert [doc.kind for doc in gz] == [kind] * len(plain)
    assert [doc.content for doc in gz] == [doc.content for doc in plain]


def test_sources_gzip_is_recognised_by_its_magic_bytes(write: Callable[..., Path]) -> None:
    path = write("feed.jsonl", gzip.compress(json.dumps({"text": BODY}).encode()))
    [doc] = documents(read(path))
    assert doc.content == {"text": BODY}


def test_sources_truncated_gzip_is_a_source_error(write: Callable[..., Path]) -> None:
    data = gzip.compress(("Title\n\n" + BODY * 50).encode())
    path = write("story.txt", data[: len(data) // 2])
    error = only_error(read(path))
    assert isinstance(error, SourceError)
    assert error.origin == str(path)
    assert "cannot read" in str(error)


# -- directories --------------------------------------------------------------------


def test_sources_directory_is_read_recursively_sorted_without_hidden_files(
    write: Callable[..., Path], tmp_path: Path
) -> None:
    for name in [
        "corpus/b.txt",
        "corpus/a.txt",
        "corpus/sub/c.html",
        "corpus/sub/deeper/d.txt.gz",
        "corpus/z-last",
        "corpus/.hidden.txt",
        "corpus/.cache/e.txt",
        "corpus/notes.png",
        "corpus/data.csv",
    ]:
        write(name, f"{name}\n\n{BODY}")
    origins = [doc.origin for doc in documents(read(tmp_path / "corpus"))]
    root = tmp_path / "corpus"
    assert origins == [
        str(root / "a.txt"),
        str(root / "b.txt"),
        str(root / "z-last"),
        str(root / "sub" / "c.html"),
        str(root / "sub" / "deeper" / "d.txt.gz"),
    ]


def test_sources_many_inputs_are_read_in_the_order_given(write: Callable[..., Path]) -> None:
    second, first = write("b.txt", "B\n\n" + BODY), write("a.txt", "A\n\n" + BODY)
    assert [doc.path for doc in documents(read(second, first))] == [str(second), str(first)]


def test_sources_total_bytes_is_the_size_of_every_input(
    write: Callable[..., Path], tmp_path: Path
) -> None:
    a = write("dir/a.txt", "A\n\n" + BODY)
    b = write("dir/sub/b.txt", "B\n\n" + BODY + " More.")
    reader = InputReader([tmp_path / "dir", tmp_path / "missing.txt"], 5 * MB)
    assert reader.total_bytes == a.stat().st_size + b.stat().st_size
    list(reader)
    assert reader.bytes_read == reader.total_bytes
    assert InputReader(["-", a], 5 * MB).total_bytes is None


# -- bad inputs ---------------------------------------------------------------------


def test_sources_missing_path_is_a_source_error_naming_it(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.txt"
    error = only_error(read(missing))
    assert isinstance(error, SourceError)
    assert error.origin == str(missing)
    assert str(error) == f"{missing}: no such file or directory"


def test_sources_unreadable_file_is_a_source_error(write: Callable[..., Path]) -> None:
    path = write("secret.txt", "Title\n\n" + BODY)
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running with privileges that read any file (root)")
        error = only_error(read(path))
    finally:
        path.chmod(0o644)
    assert isinstance(error, SourceError)
    assert error.origin == str(path)
    assert "cannot read" in str(error)


def test_sources_permission_denied_is_a_source_error_even_as_root(
    write: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    locked = write("locked.txt", "Title\n\n" + BODY)
    other = write("other.txt", "Other\n\n" + BODY)
    real_open = Path.open

    def guarded_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded_open)
    items = read(locked, other)
    assert isinstance(items[0], SourceError)
    assert str(items[0]) == f"{locked}: cannot read: Permission denied"
    assert isinstance(items[1], RawDocument)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("image.png.txt", PNG),
        ("blob", bytes(range(256)) * 8),
        ("blob.html", b"<html>\x00\x01\x02" + os.urandom(64)),
    ],
)
def test_sources_binary_file_is_a_source_error(
    write: Callable[..., Path], name: str, data: bytes
) -> None:
    path = write(name, data)
    error = only_error(read(path))
    assert isinstance(error, SourceError)
    assert error.origin == str(path)
    assert "binary" in error.reason


@pytest.mark.parametrize("content", ["", "   \n\n\t\n"])
def test_sources_empty_file_is_an_extraction_error(
    write: Callable[..., Path], content: str
) -> None:
    path = write("empty.txt", content)
    error = only_error(read(path))
    assert isinstance(error, ExtractionError)
    assert str(error) == f"{path}: empty file"


def test_sources_empty_gzip_file_is_an_extraction_error(write: Callable[..., Path]) -> None:
    error = only_error(read(write("empty.txt.gz", b"")))
    assert isinstance(error, ExtractionError)
    assert "empty file" in str(error)


def test_sources_text_file_above_the_limit_is_too_large(write: Callable[..., Path]) -> None:
    path = write("huge.txt", "Title\n\n" + "All work and no play. " * 100)
    error = only_error(read(path, max_bytes=1000))
    assert isinstance(error, SourceError)
    assert error.origin == str(path)
    assert "too large" in str(error)
    assert documents(read(path, max_bytes=10_000))


def test_sources_malformed_json_line_names_file_and_line_and_the_rest_is_read(
    write: Callable[..., Path],
) -> None:
    good = json.dumps({"text": BODY})
    path = write("feed.jsonl", f'{good}\n{{"text": "unterminated\n{good}\n')
    items = read(path)
    assert len(items) == 3
    error = items[1]
    assert isinstance(error, ExtractionError)
    assert error.origin == f"{path}:2"
    assert "malformed JSON" in str(error)
    assert [item.origin for item in items if isinstance(item, RawDocument)] == [
        f"{path}:1",
        f"{path}:3",
    ]


@pytest.mark.parametrize(("line", "kind"), [("[1, 2]", "list"), ('"text"', "str"), ("3", "int")])
def test_sources_json_line_that_is_not_an_object_is_refused(
    write: Callable[..., Path], line: str, kind: str
) -> None:
    path = write("feed.jsonl", f"{json.dumps({'text': BODY})}\n{line}\n")
    items = read(path)
    error = items[1]
    assert isinstance(error, ExtractionError)
    assert str(error) == f"{path}:2: expected a JSON object, got {kind}"
    assert isinstance(items[0], RawDocument)


def test_sources_json_line_longer_than_the_limit_is_skipped(write: Callable[..., Path]) -> None:
    small = json.dumps({"text": BODY})
    big = json.dumps({"text": "word " * 2000})
    path = write("feed.jsonl", f"{small}\n{big}\n{small}\n")
    items = read(path, max_bytes=2000)
    assert [type(item) for item in items] == [RawDocument, ExtractionError, RawDocument]
    assert items[1].origin == f"{path}:2"
    assert items[2].origin == f"{path}:3"


def test_sources_json_line_with_invalid_utf8_is_decoded_or_refused_alone(
    write: Callable[..., Path],
) -> None:
    good = json.dumps({"text": BODY}).encode()
    path = write("feed.jsonl", good + b"\n" + b'{"text": "\x00\x00\x00"}\n' + good + b"\n")
    items = read(path)
    assert isinstance(items[1], SourceError)
    assert items[1].origin == f"{path}:2"
    assert [item.origin for item in items if isinstance(item, RawDocument)] == [
        f"{path}:1",
        f"{path}:3",
    ]


# -- decoding -----------------------------------------------------------------------


def test_sources_decode_strips_a_utf8_bom() -> None:
    assert decode("\ufeffCaf\u00e9".encode(), "x") == "Caf\u00e9"


def test_sources_decode_reads_utf16_with_a_bom(accented: str) -> None:
    assert decode(accented.encode("utf-16"), "x") == accented


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_sources_decode_reads_western_european_8bit_text(accented: str, encoding: str) -> None:
    assert decode(accented.encode(encoding), "x") == accented


def test_sources_decode_refuses_binary_data() -> None:
    with pytest.raises(SourceError, match=r"^blob: binary file"):
        decode(PNG, "blob")


# -- bounded memory -------------------------------------------------------------------


@pytest.mark.slow
def test_sources_large_jsonl_is_streamed_in_bounded_memory(big_jsonl: Path) -> None:
    size = big_jsonl.stat().st_size
    assert size > 90 * MB
    count = 0
    tracemalloc.start()
    try:
        for item in InputReader([big_jsonl], 5 * MB):
            assert isinstance(item, RawDocument)
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < 5 * MB, f"reading {size / MB:.0f} MB held {peak / MB:.1f} MB at once"
