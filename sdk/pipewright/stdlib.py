"""Every standard-library module the SDK imports, imported here at once by the package's __init__
while the folder Python put first on sys.path is out of the way: a definition's folder may hold
files named like them (inspect.py, json.py, types.py), which must not stand in for them in the SDK,
whenever it imports them. test/sdk/test_shadowing.py checks that this list is complete."""
# flake8: noqa: F401
import ast
import atexit
import base64
import collections.abc
import contextlib
import csv
import enum
import fnmatch
import functools
import hashlib
import importlib
import importlib.abc
import importlib.util
import inspect
import io
import json
import json.encoder
import linecache
import math
import operator
import os
import pickle
import re
import shlex
import shutil
import subprocess
import tarfile
import tempfile
import textwrap
import threading
import time
import tokenize
import traceback
import types
import typing
import urllib.error
import urllib.parse
import urllib.request
import uuid
import zipfile

try:
    import resource  # POSIX only: the memory and CPU limits of an evaluation
except ImportError:
    pass
