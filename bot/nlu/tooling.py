"""The Rasa side of the project, driven from the bot's environment.

Rasa 3.6 needs Python 3.10 and its own virtualenv, so the bot never imports
it: this module creates that virtualenv and trains the model as subprocesses
(bot/nlu/server.py starts the server). Both are expensive (installing Rasa
takes minutes and gigabytes, training takes seconds to minutes), so both are
cached outside the clone, keyed by content hashes (bot/nlu/cache_keys.py):

- the virtualenv at `$KENES_CACHE/nlu-venv-<hash of nlu/requirements.txt>`,
  usable once it holds a `.complete` marker;
- the model at `$KENES_CACHE/models/kenes-<hash of data, config and code>.tar.gz`,
  copied into the clone's `models/` as well, with the bot's semantic safety
  head beside it (`kenes-<hash>.safety.npz`, taken out of the model: see
  `nlu.classifiers.KenesSafetyHead`);
- the embeddings of the training examples at `$KENES_CACHE/embeddings/`
  (`bot.nlp.encoder.EmbeddingCache`), so retraining embeds only new texts.

A fresh clone with the same data therefore reuses both without training.
File locks keep concurrent runs (two terminals, parallel CI jobs) from
building the same thing twice or reading half-written files. Standard
library and PyYAML only, so tests and CI can use it without Rasa.
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.nlu.cache_keys import model_hash, requirements_hash

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPLETE_MARKER = ".complete"
MODEL_PREFIX = "kenes-"
MODEL_SUFFIX = ".tar.gz"
HEAD_SUFFIX = ".safety.npz"
# The head's file inside the model archive (nlu.classifiers.HEAD_FILE).
HEAD_MEMBER = "safety_head.npz"
# Models kept in the clone's models/ besides the current one: enough to go back.
KEEP_MODELS = 3
# The shared cache serves every clone and branch: keep more there.
KEEP_CACHED_MODELS = 12

Log = Callable[[str], None]


class ToolingError(Exception):
    """Something the user can fix: the message says what and how."""


def log_to_stderr(message: str) -> None:
    """The default `Log`: one line on standard error, at once."""
    print(message, file=sys.stderr, flush=True)


def default_cache() -> Path:
    """`$KENES_CACHE`, else ~/.cache/kenes (Settings.kenes_cache reads the same variable)."""
    configured = os.environ.get("KENES_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "kenes"


@dataclass(frozen=True, slots=True)
class Project:
    """A checkout of the repository and the cache it shares with other checkouts."""

    root: Path = REPO_ROOT
    cache: Path = field(default_factory=default_cache)

    @property
    def config(self) -> Path:
        return self.root / "config.yml"

    @property
    def domain(self) -> Path:
        return self.root / "domain.yml"

    @property
    def nlu_data(self) -> Path:
        return self.root / "nlu_data"

    @property
    def requirements(self) -> Path:
        return self.root / "nlu" / "requirements.txt"

    @property
    def models_dir(self) -> Path:
        """The clone's own models/ (gitignored)."""
        return self.root / "models"

    @property
    def cached_models_dir(self) -> Path:
        return self.cache / "models"

    @property
    def venv(self) -> Path:
        return self.cache / f"nlu-venv-{requirements_hash(self.requirements)}"

    @property
    def python(self) -> Path:
        """The Rasa virtualenv's interpreter."""
        return self.venv / "bin" / "python"

    @property
    def rasa(self) -> Path:
        return self.venv / "bin" / "rasa"

    @property
    def model_name(self) -> str:
        return f"{MODEL_PREFIX}{model_hash(self.root)}{MODEL_SUFFIX}"

    @property
    def model(self) -> Path:
        """Where the model for the current data lives in the clone."""
        return self.models_dir / self.model_name

    @property
    def cached_model(self) -> Path:
        return self.cached_models_dir / self.model_name

    def rasa_env(self) -> dict[str, str]:
        """The environment for Rasa subprocesses: our packages importable, logs quiet."""
        env = dict(os.environ)
        env.pop("VIRTUAL_ENV", None)
        env.pop("PYTHONHOME", None)
        paths = [str(self.root), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
        env["PYTHONPATH"] = os.pathsep.join(paths)
        env["PATH"] = os.pathsep.join([str(self.venv / "bin"), env.get("PATH", "")])
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        env.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
        env.setdefault("LOG_LEVEL_LIBRARIES", "ERROR")
        env.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")
        env.setdefault("PYTHONWARNINGS", "ignore")
        env["RASA_TELEMETRY_ENABLED"] = "false"
        # Rasa's training cache keys components by class and config, not by
        # our code: a changed normalize() would reuse stale features. Off.
        env["RASA_MAX_CACHE_SIZE"] = "0"
        env["RASA_CACHE_DIRECTORY"] = str(self.cache / "rasa-cache")
        return env


@contextlib.contextmanager
def file_lock(path: Path, log: Log = log_to_stderr, what: str = "") -> Iterator[None]:
    """An exclusive lock on `path` (created if needed), released on exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"waiting for another process {what or 'holding ' + str(path)} ...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- the virtualenv ----------------------------------------------------------


def _runs(python: str) -> bool:
    try:
        result = subprocess.run(
            [python, "-c", "import sys; print(sys.version_info[:2] == (3, 10))"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and result.stdout.strip() == "True"


def find_python310() -> str:
    """A working Python 3.10: on PATH, else under pyenv. Raises ToolingError."""
    candidates: list[str] = []
    on_path = shutil.which("python3.10")
    if on_path:
        candidates.append(on_path)
    roots: list[str] = []
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        result = subprocess.run(
            ["pyenv", "root"], capture_output=True, text=True, timeout=30, check=False
        )
        if result.returncode == 0 and result.stdout.strip():
            roots.append(result.stdout.strip())
    roots.append("/root/.pyenv")
    for root in roots:
        candidates.extend(sorted(glob.glob(f"{root}/versions/3.10*/bin/python3.10"), reverse=True))
    for candidate in candidates:
        if _runs(candidate):
            return candidate
    raise ToolingError(
        "Rasa 3.6 needs Python 3.10, and none was found (tried python3.10 on PATH and "
        "pyenv's versions). Install it, e.g. `pyenv install 3.10`, and run this again."
    )


def venv_complete(venv: Path) -> bool:
    return (venv / COMPLETE_MARKER).is_file()


def ensure_venv(project: Project | None = None, log: Log = log_to_stderr) -> Path:
    """The Rasa virtualenv, created and installed first if it is not complete."""
    project = project or Project()
    venv = project.venv
    if venv_complete(venv):
        return venv
    with file_lock(venv.with_name(venv.name + ".lock"), log, "installing the NLU virtualenv"):
        if venv_complete(venv):
            return venv
        if venv.exists():
            log(f"removing the incomplete virtualenv {venv}")
            shutil.rmtree(venv)
        python = find_python310()
        log(f"creating the NLU virtualenv {venv} with {python} (Rasa: a few minutes, ~3 GB)")
        # In place: virtualenvs hard-code their own path and cannot be moved.
        _check_call([python, "-m", "venv", str(venv)], "creating the virtualenv")
        pip = [str(venv / "bin" / "python"), "-m", "pip"]
        _check_call(
            [*pip, "install", "--quiet", "-r", str(project.requirements)],
            f"pip install -r {project.requirements}",
        )
        (venv / COMPLETE_MARKER).write_text(
            json.dumps({"requirements": project.requirements.read_text(), "python": python})
        )
        log(f"NLU virtualenv ready: {venv}")
    return venv


def _check_call(command: Sequence[str], what: str, **kwargs: Any) -> None:
    result = subprocess.run(list(command), check=False, **kwargs)
    if result.returncode != 0:
        raise ToolingError(f"{what} failed (exit code {result.returncode})")


# --- the model ---------------------------------------------------------------


def ensure_model(
    project: Project | None = None, *, force: bool = False, log: Log = log_to_stderr
) -> Path:
    """The model for the current data in the clone's models/, trained only when missing.

    The model's name is taken once, before training: files edited meanwhile
    make the next run train again, not this one fail.
    """
    project = project or Project()
    name = project.model_name
    if not force:
        found = _reuse_model(project, name)
        if found is not None:
            return found
    # One lock for all training: concurrent runs wait instead of training twice.
    lock = project.cached_models_dir / ".train.lock"
    with file_lock(lock, log, "training the same model"):
        if not force:
            found = _reuse_model(project, name)
            if found is not None:
                return found
        ensure_venv(project, log)
        seconds = train(project, project.cached_models_dir / name, log=log)
        log(f"trained {name} in {seconds:.1f} s")
        _install_model(project, name)
    return project.models_dir / name


def _reuse_model(project: Project, name: str) -> Path | None:
    model = project.models_dir / name
    if model.is_file():
        extract_head(model)
        return model
    if (project.cached_models_dir / name).is_file():
        _install_model(project, name)
        return model
    return None


def head_path(model: Path) -> Path:
    """Where the semantic safety head of `model` lies: beside it, `kenes-<hash>.safety.npz`."""
    return model.with_name(model.name.removesuffix(MODEL_SUFFIX) + HEAD_SUFFIX)


def extract_head(model: Path) -> Path | None:
    """Copy the safety head out of `model` beside it (once); None if the model has none."""
    target = head_path(model)
    if target.is_file():
        return target
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with tarfile.open(model, "r:gz") as archive:
            member = next(
                (m for m in archive if m.isfile() and m.name.endswith(f"/{HEAD_MEMBER}")), None
            )
            source = archive.extractfile(member) if member is not None else None
            if source is None:
                return None
            with tmp.open("wb") as out:
                shutil.copyfileobj(source, out)
    except (tarfile.TarError, OSError):
        tmp.unlink(missing_ok=True)
        return None  # not a model archive: no head, the bot runs on the lexicons
    tmp.replace(target)
    return target


def _install_model(project: Project, name: str) -> None:
    """Copy the cached model (and its head) into the clone's models/; prune older ones."""
    cached, model = project.cached_models_dir / name, project.models_dir / name
    project.models_dir.mkdir(parents=True, exist_ok=True)
    if not model.is_file():
        _atomic_copy(cached, model)
    head = extract_head(cached)
    if head is not None:
        _atomic_copy(head, head_path(model))
    _prune(project.models_dir, model, KEEP_MODELS)
    _prune(project.cached_models_dir, cached, KEEP_CACHED_MODELS)


def _prune(directory: Path, current: Path, keep: int) -> None:
    older = sorted(
        (p for p in directory.glob(f"{MODEL_PREFIX}*{MODEL_SUFFIX}") if p != current),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for stale in older[keep:]:
        stale.unlink(missing_ok=True)
        head_path(stale).unlink(missing_ok=True)


def _atomic_copy(source: Path, target: Path) -> None:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, tmp)
    tmp.replace(target)


def train(project: Project, target: Path, *, log: Log = log_to_stderr, quiet: bool = True) -> float:
    """Train the NLU model into `target` (atomically); the training time in seconds."""
    if not project.domain.is_file():
        raise ToolingError(f"{project.domain} is missing; the model needs the domain's intents")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kenes-train-", dir=target.parent) as tmp:
        fixed = target.name.removesuffix(MODEL_SUFFIX)
        command = [
            str(project.python),
            "-m",
            "nlu.train",  # `rasa train`, without the cache's fingerprints (nlu/train.py)
            "train",
            "nlu",
            "--config",
            str(project.config),
            "--nlu",
            str(project.nlu_data),
            "--domain",
            str(project.domain),
            "--out",
            tmp,
            "--fixed-model-name",
            fixed,
        ]
        if quiet:
            command.append("--quiet")
        log(f"training the NLU model ({project.nlu_data}, {project.config}) ...")
        started = time.monotonic()
        result = subprocess.run(
            command,
            cwd=project.root,
            env=project.rasa_env(),
            capture_output=quiet,
            text=True,
            check=False,
        )
        seconds = time.monotonic() - started
        produced = Path(tmp) / f"{fixed}{MODEL_SUFFIX}"
        if result.returncode != 0 or not produced.is_file():
            if quiet:
                log((result.stdout or "")[-4000:] + (result.stderr or "")[-4000:])
            raise ToolingError(f"rasa train nlu failed (exit code {result.returncode})")
        produced.replace(target)
    return seconds


@dataclass(frozen=True, slots=True)
class Status:
    venv: Path
    venv_complete: bool
    model: Path
    model_in_clone: bool
    model_cached: bool
    older_models: tuple[Path, ...]

    @property
    def up_to_date(self) -> bool:
        return self.venv_complete and (self.model_in_clone or self.model_cached)


def status(project: Project | None = None) -> Status:
    project = project or Project()
    current = project.model
    older = tuple(
        sorted(
            (p for p in project.models_dir.glob(f"{MODEL_PREFIX}*{MODEL_SUFFIX}") if p != current),
            key=lambda p: p.stat().st_mtime,
            reverse=True,
        )
    )
    return Status(
        venv=project.venv,
        venv_complete=venv_complete(project.venv),
        model=current,
        model_in_clone=current.is_file(),
        model_cached=project.cached_model.is_file(),
        older_models=older,
    )
