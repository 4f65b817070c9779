"""co.git (Conducto's git.py): apply_status() adds GitHub status callbacks when the run has a
git URL and commit (CONDUCTO_GIT_URL, CONDUCTO_GIT_SHA)."""
import os

from .integrations import git as _git


def apply_status(parent):
    url, sha = os.environ.get("CONDUCTO_GIT_URL"), os.environ.get("CONDUCTO_GIT_SHA")
    if url and sha:
        _git.add_status_callback(parent, url, sha, inherited=True, user_display=False)
