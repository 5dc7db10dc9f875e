from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from storyline.config import Config
from storyline.engine import Engine
from storyline.errors import ConfigError


def test_config_defaults() -> None:
    config = Config()
    assert config.db == "storyline.db"
    assert config.batch_size == 64
    assert config.max_article_bytes == 5_000_000
    assert config.min_words == 5
    assert config.event_window_days == pytest.approx(4.0)
    assert config.storyline_window_days == pytest.approx(400.0)
    assert 0 < config.event_threshold < 1
    assert 0 < config.storyline_threshold < 1


def test_config_load_without_file_or_environment_is_the_defaults() -> None:
    assert Config.load(environ={}) == Config()


def test_config_is_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config().batch_size = 3  # type: ignore[misc]


def test_config_reads_the_storyline_table_of_a_toml_file(write: Callable[..., Path]) -> None:
    path = write(
        "settings.toml",
        '[storyline]\ndb = "news.db"\nbatch_size = 16\nevent_threshold = 0.4\n'
        "event_window_days = 2\n\n[other]\nignored = true\n",
    )
    config = Config.load(path, environ={})
    assert config.db == "news.db"
    assert config.batch_size == 16
    assert config.event_threshold == pytest.approx(0.4)
    assert isinstance(config.event_window_days, float)
    assert config.event_window_days == pytest.approx(2.0)
    assert config.min_words == Config().min_words


def test_config_reads_a_toml_file_without_a_table(write: Callable[..., Path]) -> None:
    path = write("settings.toml", "min_words = 20\n")
    assert Config.load(path, environ={}).min_words == 20


def test_config_finds_storyline_toml_in_the_working_directory(
    write: Callable[..., Path],
) -> None:
    write("storyline.toml", "[storyline]\nbatch_size = 7\n")  # tmp_path is the cwd
    assert Config.load(environ={}).batch_size == 7


def test_config_file_named_by_storyline_config(write: Callable[..., Path]) -> None:
    path = write("elsewhere/conf.toml", "[storyline]\nbatch_size = 9\n")
    assert Config.load(environ={"STORYLINE_CONFIG": str(path)}).batch_size == 9


def test_config_reads_storyline_environment_variables() -> None:
    environ = {
        "STORYLINE_DB": "/data/news.db",
        "STORYLINE_BATCH_SIZE": "5",
        "STORYLINE_EVENT_THRESHOLD": "0.5",
        "OTHER_BATCH_SIZE": "99",
    }
    config = Config.load(environ=environ)
    assert config.db == "/data/news.db"
    assert config.batch_size == 5
    assert config.event_threshold == pytest.approx(0.5)


def test_config_uses_os_environ_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORYLINE_MIN_WORDS", "12")
    assert Config.load().min_words == 12


def test_config_explicit_overrides_win_and_none_is_ignored() -> None:
    config = Config.load(environ={"STORYLINE_BATCH_SIZE": "5"}, batch_size=3, db=None)
    assert config.batch_size == 3
    assert config.db == "storyline.db"


def test_config_precedence_defaults_file_environment_arguments(
    write: Callable[..., Path],
) -> None:
    path = write(
        "settings.toml",
        "[storyline]\nbatch_size = 10\nmin_words = 10\nmax_article_bytes = 10\n",
    )
    environ = {"STORYLINE_MIN_WORDS": "20", "STORYLINE_MAX_ARTICLE_BYTES": "20"}
    config = Config.load(path, environ=environ, max_article_bytes=30)
    assert config.event_window_days == Config().event_window_days  # default
    assert config.batch_size == 10  # file
    assert config.min_words == 20  # environment over file
    assert config.max_article_bytes == 30  # arguments over environment


def test_config_bad_environment_value_names_the_source() -> None:
    with pytest.raises(ConfigError) as caught:
        Config.load(environ={"STORYLINE_BATCH_SIZE": "abc"})
    message = str(caught.value)
    assert "environment" in message
    assert "batch_size" in message
    assert "'abc'" in message
    assert "int" in message


def test_config_bad_file_value_names_the_file(write: Callable[..., Path]) -> None:
    path = write("settings.toml", '[storyline]\nevent_threshold = "high"\n')
    with pytest.raises(ConfigError, match="event_threshold") as caught:
        Config.load(path, environ={})
    assert str(path) in str(caught.value)


def test_config_bad_argument_value_names_the_arguments() -> None:
    with pytest.raises(ConfigError, match=r"arguments: min_words"):
        Config.load(environ={}, min_words="many")


def test_config_negative_value_is_refused() -> None:
    with pytest.raises(ConfigError, match="negative"):
        Config.load(environ={"STORYLINE_EVENT_WINDOW_DAYS": "-1"})


def test_config_unknown_setting_in_file_is_refused(write: Callable[..., Path]) -> None:
    path = write("settings.toml", "[storyline]\nbatch_sise = 3\n")
    with pytest.raises(ConfigError, match="unknown setting 'batch_sise'"):
        Config.load(path, environ={})


def test_config_invalid_toml_is_refused(write: Callable[..., Path]) -> None:
    path = write("settings.toml", "[storyline\nbatch_size = \n")
    with pytest.raises(ConfigError, match="invalid TOML") as caught:
        Config.load(path, environ={})
    assert str(path) in str(caught.value)


def test_config_missing_file_is_refused(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match="cannot read configuration") as caught:
        Config.load(missing, environ={})
    assert str(missing) in str(caught.value)


def test_config_storyline_that_is_not_a_table_is_refused(write: Callable[..., Path]) -> None:
    path = write("settings.toml", 'storyline = "yes"\n')
    with pytest.raises(ConfigError, match="must be a table"):
        Config.load(path, environ={})


@pytest.mark.parametrize(
    ("toml", "environ"),
    [
        ("[storyline]\nbatch_size = 2.5\n", {}),
        ("[storyline]\nbatch_size = true\n", {}),
        ("", {"STORYLINE_EVENT_THRESHOLD": "nan"}),
    ],
    ids=["fraction-for-int", "bool-for-int", "nan-threshold"],
)
def test_config_value_that_is_not_of_the_field_type_is_refused(
    write: Callable[..., Path], toml: str, environ: dict[str, str]
) -> None:
    path = write("settings.toml", toml)
    with pytest.raises(ConfigError):
        Config.load(path, environ=environ)


def test_config_engine_uses_the_configured_database(tmp_path: Path) -> None:
    db = tmp_path / "configured.db"
    config = Config.load(environ={"STORYLINE_DB": str(db)})
    with Engine(config=config) as engine:
        assert engine.store.path == str(db)
    assert db.is_file()
