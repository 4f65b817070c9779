"""co.integrations.git, as Conducto's: URLs pass through unchanged (no Conducto service adds
credentials), status callbacks are recorded (the runner reports them as not configured), and the
log helpers read the local repository with git."""
import enum
import os
import re
import subprocess

from .. import callback


class LogType(enum.Enum):
    RAW = 1
    MARKDOWN = 2
    SLACK = 3


def url(url, token=None):
    return url


def clone_url(url, token=None):
    return url


def add_status_callback(node, url, sha, *, inherited=False, user_display=True):
    """GitHub Checks status for a node: recorded; the runner says it is not configured."""
    node.on_state_change(callback.github_status(url, sha, inherited=inherited,
                                                user_display=user_display))


def _parse_github_url(url):
    m = re.search(r"github\.com(?:-.*?)?[/:]([^/]+)/(.+?)\.git$", url)
    if not m:
        raise ValueError("%s is not a valid github url." % url)
    return m.group(1, 2)


def _git(git_dir, *args):
    root = os.path.abspath(git_dir or os.getcwd())
    done = subprocess.run(["git", "-C", root] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True)
    if done.returncode != 0:
        raise RuntimeError("git %s failed in %s: %s" % (" ".join(args), root,
                                                        done.stderr.strip()))
    return done.stdout.strip()


def _ref(branch):
    return "HEAD" if branch is None else branch


def get_log_diff(base_branch, current_branch=None, log_type=LogType.RAW, max_lines=None,
                 git_dir=None):
    """Commits on current_branch (default HEAD) and not on base_branch, one line each."""
    raw = _git(git_dir, "log", "--abbrev-commit", "--date=relative",
               "--pretty=format:%h|%ad|[%an]|%d|%s",
               "%s..%s" % (base_branch, _ref(current_branch)))
    if not raw:
        return ""
    if log_type == LogType.RAW:
        return raw.replace("|", " ")
    lines = []
    for line in raw.split("\n"):
        sha, date, author, refs, subject = line.split("|", 4)
        refs = "_%s_" % refs if refs else ""
        if log_type == LogType.MARKDOWN:
            lines.append("* `%s` %s, **%s** %s\n    - %s" % (sha, date, author, refs, subject))
        else:
            lines.append("• `%s` %s, *%s* %s - %s" % (sha, date, author, refs, subject))
    if max_lines is not None and len(lines) > max_lines:
        extra = len(lines) - max_lines
        lines = lines[:max_lines] + ["and %d more..." % extra]
    return "\n\n".join(lines)


def get_num_commits(base_branch, current_branch=None, git_dir=None):
    return int(_git(git_dir, "rev-list", "--count",
                    "%s..%s" % (base_branch, _ref(current_branch))))


def get_num_commits_behind_base(base_branch, current_branch=None, git_dir=None):
    return int(_git(git_dir, "rev-list", "--count",
                    "%s..%s" % (_ref(current_branch), base_branch)))


def get_last_shared_commit(base_branch, current_branch=None, git_dir=None):
    return _git(git_dir, "merge-base", base_branch, _ref(current_branch))[:8]
