"""Nothing to build: rolling.py is pure Python, run as it is by CPython and PyPy.
(Every exercise has a setup.py; exercises/checker.py runs it before the tests.)"""
from setuptools import setup

setup(name="rolling", py_modules=[])
