"""Packaging of the lmvp Python client: `pip install ./python` (no build dependencies to fetch, so it works offline)."""

import os

from setuptools import setup

with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "README.md"), encoding="utf-8") as f:
    readme = f.read()

setup(
    name="lmvp",
    version="0.1.0",
    description="Download, publish and browse model versions on an lmvp-server from Python (standard library only).",
    long_description=readme,
    long_description_content_type="text/markdown",
    license="BSD-3-Clause",
    python_requires=">=3.9",
    packages=["lmvp"],
)
