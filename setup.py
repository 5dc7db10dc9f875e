"""The compiled part of storyline; everything else is declared in pyproject.toml."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        # the tokeniser of copy detection (storyline/dedup/sketch.py has the same in numpy)
        Extension(
            "storyline.dedup._tokens",
            sources=["storyline/dedup/_tokens.c"],
            extra_compile_args=["-O3"],
        )
    ]
)
