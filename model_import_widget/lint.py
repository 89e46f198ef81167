"""The lint of a model folder before import: layout, engine detection, and a guess of its pip dependencies.

It only lists and stats files (it never opens model weights, only config.json and .py files) and changes nothing."""

from __future__ import annotations

import ast
import errno
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from . import config_file, dependencies
from .config_file import ConfigFile
from .errors import ConfigFileError
from .spec import ENGINE_TYPES as ENGINES, MAX_PACKAGE_BYTES, SKIPPED_DIR_NAMES, SKIPPED_DIRS, canonical_model_type, human_size, image_modules

__all__ = ["PackageReport", "inspect", "infer_dependencies", "MAX_PACKAGE_BYTES", "SKIPPED_DIR_NAMES", "ENGINES"]


MAX_LISTED = 20
_MAX_SOURCE_BYTES = 1024 * 1024
_MAX_SOURCE_FILES = 500

_BASE_CLASSES = {  # customize_service.py base class -> engines it serves
    "PTServingBaseService": ("PyTorch",),
    "TfServingBaseService": ("TensorFlow",),
    "SingleNodeService": ("MindSpore",),
    "MXNetBaseService": ("MXNet",),
    "CaffeBaseService": ("Caffe",),
    "SparkServingBaseService": ("Spark_MLlib",),
    "XgSklServingBaseService": ("XGBoost", "Scikit_Learn"),
}
_ENGINE_IMPORTS = {"torch": "PyTorch", "tensorflow": "TensorFlow", "keras": "TensorFlow", "mindspore": "MindSpore",
                   "mxnet": "MXNet", "xgboost": "XGBoost", "sklearn": "Scikit_Learn", "caffe": "Caffe",
                   "pyspark": "Spark_MLlib"}


@dataclass
class PackageReport:
    """What `inspect` found. `problems` would make the import fail; `warnings` would not."""

    folder: Path
    model_dir: Path | None = None
    engine: str | None = None
    engine_evidence: list[dict[str, str]] = field(default_factory=list)
    config: ConfigFile | None = None
    size: int = 0
    file_count: int = 0
    problems: list[dict[str, str | None]] = field(default_factory=list)
    warnings: list[dict[str, str | None]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, path: str | None, message: str) -> None:
        self.problems.append({"path": path, "message": message})

    def fields(self) -> dict[str, Any]:
        """The model's fields this folder tells, as the SDK takes them: model_type (from config.json, else the
        engine detected from the files), model_algorithm, runtime, apis, input_params, output_params, dependencies.
        Only what the folder has; what a form fills in from a folder."""
        config = self.config.fields if self.config else {}
        found = {key: config[key] for key in ("model_type", "model_algorithm", "runtime", "apis")
                 if config.get(key)}
        if "model_type" not in found and self.engine:
            found["model_type"] = self.engine
        found.update((key, config[key]) for key in ("input_params", "output_params", "dependencies")
                     if config.get(key))
        return found

    def warning(self, path: str | None, message: str) -> None:
        self.warnings.append({"path": path, "message": message})

    def __str__(self) -> str:
        head = f"{self.folder}: {self.file_count} files, {human_size(self.size)}, engine {self.engine or 'unknown'}"
        lines = [head]
        lines += [f"  problem: {p['path'] + ': ' if p['path'] else ''}{p['message']}" for p in self.problems]
        lines += [f"  warning: {w['path'] + ': ' if w['path'] else ''}{w['message']}" for w in self.warnings]
        return "\n".join(lines)


@dataclass
class _Walk:
    """Everything a single pass over the folder collects (stat only)."""

    size: int = 0
    file_count: int = 0
    files: list[str] = field(default_factory=list)            # relative posix paths of regular files
    dirs: set[str] = field(default_factory=set)
    skipped: list[str] = field(default_factory=list)
    odd_names: list[tuple[str, str]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)          # followed, worth a word
    refused_links: list[tuple[str, str]] = field(default_factory=list)  # the import refuses these
    unreadable: list[str] = field(default_factory=list)
    special: list[str] = field(default_factory=list)  # pipes, sockets, devices (also behind a link): never opened


def _walk(root: Path) -> _Walk:
    found = _Walk()
    real_root = os.path.realpath(root)
    stack: list[tuple[str, str]] = [(str(root), "")]
    while stack:
        directory, prefix = stack.pop()
        try:
            with os.scandir(directory) as entries:
                listing = list(entries)
        except OSError:
            found.unreadable.append(prefix.rstrip("/") or ".")
            continue
        for entry in listing:
            rel = prefix + entry.name
            if " " in entry.name:
                found.odd_names.append((rel, "has a space"))
            elif not entry.name.isascii():
                found.odd_names.append((rel, "is not plain ASCII"))
            try:
                if entry.is_symlink():
                    _follow_link(entry, rel, real_root, found)
                elif entry.is_dir(follow_symlinks=False):
                    if entry.name in SKIPPED_DIR_NAMES:
                        found.skipped.append(rel)
                    else:
                        found.dirs.add(rel)
                        stack.append((entry.path, rel + "/"))
                elif entry.is_file(follow_symlinks=False):
                    found.size += entry.stat(follow_symlinks=False).st_size
                    found.file_count += 1
                    found.files.append(rel)
                else:
                    found.special.append(rel)
            except OSError:
                found.unreadable.append(rel)
    found.files.sort()
    return found


def _follow_link(entry: os.DirEntry[str], rel: str, real_root: str, found: _Walk) -> None:
    """A link judged as the import judges it (registry.importer.walk): links to files inside the package are
    followed; a broken link, one leading outside, and one to a folder the package holds anyway are refused."""
    target = os.path.realpath(entry.path)
    try:
        info = os.stat(entry.path)
    except OSError:
        found.refused_links.append((rel, f"{rel} is a broken symbolic link (to {os.readlink(entry.path)}): the "
                                         "import refuses it; remove it"))
        return
    try:
        inside = os.path.commonpath([real_root, target]) == real_root
    except ValueError:  # another drive (Windows)
        inside = False
    kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a file"
    if not inside:
        found.refused_links.append((rel, f"{rel} is a symbolic link to {kind} outside the package ({target}): the "
                                         f"import refuses it; copy {kind[2:]} into the package instead"))
        return
    if stat.S_ISDIR(info.st_mode):
        inner = os.path.relpath(target, real_root).replace(os.sep, "/")
        if not SKIPPED_DIR_NAMES.intersection(inner.split("/")):  # walked anyway: this link would be a second way in
            found.refused_links.append((rel, f"{rel} is a symbolic link to the folder {inner}, which the package "
                                             "holds already: the import takes each folder once; remove the link, "
                                             "or replace it with a copy of the folder"))
            return
        found.links.append((rel, f"is a symbolic link to {inner}: imported as a copy of that folder"))
        return
    if not stat.S_ISREG(info.st_mode):
        found.special.append(rel)
        return
    found.size += info.st_size
    found.file_count += 1
    found.files.append(rel)


def _listed(report: PackageReport, items: list[tuple[str, str]], kind: str) -> None:
    for path, message in items[:MAX_LISTED]:
        report.warning(path, message)
    if len(items) > MAX_LISTED:
        report.warning(None, f"… and {len(items) - MAX_LISTED} more {kind}")


def inspect(folder: str | os.PathLike[str]) -> PackageReport:
    """Lint a model package folder (the one that contains model/) and detect its engine; never raises for content."""
    folder = Path(folder).expanduser()
    report = PackageReport(folder=folder)
    if not folder.exists():
        report.problem(None, f"{folder} does not exist")
        return report
    if not folder.is_dir():
        hint = ""
        if folder.name in ("config.json", "customize_service.py") or folder.parent.name == "model":
            hint = f": choose the folder that contains model/ ({folder.parent.parent})"
        report.problem(None, f"{folder} is a file, not a folder{hint}")
        return report

    walk = _walk(folder)
    report.size, report.file_count = walk.size, walk.file_count
    model_dir = folder / "model"
    if "model" in walk.dirs:
        report.model_dir = model_dir
    else:
        _no_model_dir(report, folder, walk)
    prefix = "model/" if report.model_dir else ""

    if report.model_dir:
        report.config = _read_config(report, folder, walk, "model/config.json")
    elif "config.json" in walk.files:  # the model folder itself was chosen: still read it, for the engine
        report.config = _read_config(report, folder, walk, "config.json")
    config_type = _config_model_type(report.config)
    _check_special_files(report, walk, config_type)

    for rel in walk.skipped:
        name = rel.rsplit("/", 1)[-1]
        report.warning(rel, f"skipped: {SKIPPED_DIRS[name]}, not part of the model (leave it out of the upload)")
    _listed(report, [(rel, f"name {why}: it may break paths in the model's code or the upload")
                     for rel, why in walk.odd_names], "names with spaces or non-ASCII characters")
    _listed(report, walk.links, "symbolic links")
    for rel, message in walk.refused_links[:MAX_LISTED]:
        report.problem(rel, message)
    _listed(report, [(rel, "cannot be read (permissions?)") for rel in walk.unreadable], "unreadable entries")
    for rel in walk.special[:MAX_LISTED]:
        report.problem(rel, f"{rel} is not a regular file (a pipe, socket or device, perhaps behind a link): the "
                            "import refuses it; remove it from the folder")
    if walk.size > MAX_PACKAGE_BYTES:
        report.problem(None, f"the package is {human_size(walk.size)} ({walk.size:,} bytes): ModelArts imports at most "
                             f"{human_size(MAX_PACKAGE_BYTES)} ({MAX_PACKAGE_BYTES:,} bytes)")

    model_files = [rel for rel in walk.files if rel.startswith(prefix)]
    detected, evidence, scores = _detect_engine(folder, model_files, walk)
    report.engine_evidence = evidence
    _settle_engine(report, detected, scores, config_type, evidence)
    _check_engine_files(report, model_files, walk)
    return report


def _no_model_dir(report: PackageReport, folder: Path, walk: _Walk) -> None:
    variants = sorted(d for d in walk.dirs if "/" not in d and d.lower() == "model")
    top_files = {rel for rel in walk.files if "/" not in rel}
    if variants:
        report.problem(variants[0], f'the folder must be named exactly "model" (lower case), not "{variants[0]}"')
    elif folder.name == "model" or top_files & {"config.json", "customize_service.py"}:
        report.problem(None, f"{folder} looks like the model folder itself: choose its parent "
                             f"({folder.resolve().parent}); ModelArts wants the folder that contains model/")
    else:
        report.problem(None, f"no model/ folder in {folder}: an import needs {folder / 'model'}/ holding config.json, "
                             "customize_service.py and the model files (or choose the folder that contains model/)")


def _read_config(report: PackageReport, folder: Path, walk: _Walk, rel: str) -> ConfigFile | None:
    if rel not in walk.files:
        elsewhere = [f for f in walk.files if f.rsplit("/", 1)[-1] == "config.json"]
        hint = f" (found {elsewhere[0]}: move it into model/)" if elsewhere and "/" not in elsewhere[0] else ""
        report.problem(rel, f"model/config.json is missing: ModelArts needs it to know the model type and its "
                            f"inputs{hint}")
        return None
    try:
        data = _read_regular(folder / rel, config_file.MAX_CONFIG_BYTES + 1)
        loaded = config_file.loads(data, path=rel)
    except OSError as exc:
        report.problem(rel, f"cannot be read: {exc.strerror or exc}")
        return None
    except ConfigFileError as exc:
        report.problem(rel, str(exc))
        return None
    loaded.path = folder / rel
    for warning in loaded.warnings:
        report.warning(rel, str(warning))
    return loaded


def _config_model_type(config: ConfigFile | None) -> str | None:
    value = config.fields.get("model_type") if config else None
    if not isinstance(value, str):
        return None
    return canonical_model_type(value) or value


def _check_special_files(report: PackageReport, walk: _Walk, config_type: str | None) -> None:
    configs = [rel for rel in walk.files if rel.rsplit("/", 1)[-1] == "config.json" and rel != "model/config.json"]
    if report.model_dir:
        for rel in configs[:MAX_LISTED]:
            report.warning(rel, "another config.json: ModelArts reads only model/config.json (fine if this one "
                                "belongs to a library, e.g. a Hugging Face model)")
    services = [rel for rel in walk.files if rel.rsplit("/", 1)[-1] == "customize_service.py"]
    if len(services) > 1:
        report.problem(None, f"{len(services)} customize_service.py files ({', '.join(services[:5])}): ModelArts "
                             f"needs exactly one, directly in model/")
    if config_type in ("Image", "Custom") or not report.model_dir:  # their image serves: no customize_service.py
        return
    if "model/customize_service.py" not in services:
        kind = f"a {config_type} model" if config_type else "every model type except Image and Custom"
        hint = f" (found {services[0]}: move it into model/)" if services else ""
        report.problem("model/customize_service.py", f"model/customize_service.py is missing: ModelArts needs it "
                                                     f"for {kind}{hint}")


def _file_evidence(rel: str, dirs: set[str]) -> tuple[str, int, str] | None:
    """(engine, weight, reason) for one file name; weights: 3 unmistakable, 2 typical, 1 suggestive."""
    name = rel.rsplit("/", 1)[-1].lower()
    parent = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
    suffix = os.path.splitext(name)[1]
    if name == "saved_model.pb":
        has_variables = parent + "variables" in dirs
        return "TensorFlow", 3, "TensorFlow SavedModel" + (" with variables/" if has_variables else "")
    if name.endswith("-symbol.json"):
        return "MXNet", 3, "MXNet symbol file"
    if suffix in (".pt", ".pth"):
        return "PyTorch", 2, f"PyTorch weights ({suffix})"
    if suffix in (".h5", ".hdf5", ".keras"):
        return "TensorFlow", 2, f"Keras/TensorFlow weights ({suffix})"
    if suffix == ".pb":
        return "TensorFlow", 2, "TensorFlow graph (.pb)"
    if suffix in (".mindir", ".air"):
        return "MindSpore", 3, f"MindSpore model ({suffix})"
    if suffix == ".ckpt":
        return "MindSpore", 2, "MindSpore checkpoint (.ckpt)"
    if suffix == ".om":
        return "MindSpore", 1, "Ascend offline model (.om)"
    if suffix == ".params":
        return "MXNet", 2, "MXNet parameters (.params)"
    if suffix in (".bst", ".ubj") or (suffix == ".model" and "xgb" in name):
        return "XGBoost", 2, f"XGBoost model ({suffix})"
    if suffix in (".pkl", ".pickle", ".joblib"):
        return "Scikit_Learn", 1, f"pickled model ({suffix}), usually scikit-learn"
    if suffix == ".caffemodel":
        return "Caffe", 3, "Caffe weights (.caffemodel)"
    return None


def _read_regular(path: Path, limit: int) -> bytes:
    """At most `limit` bytes of a regular file; never blocks on a pipe or device swapped in (OSError for those)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    with os.fdopen(os.open(path, flags), "rb") as stream:
        if not stat.S_ISREG(os.fstat(stream.fileno()).st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a pipe, socket or device)", str(path))
        return stream.read(limit)


def _read_source(path: Path) -> str | None:
    try:
        data = _read_regular(path, _MAX_SOURCE_BYTES)
    except OSError:
        return None
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def _imported_modules(source: str) -> list[str]:
    """Dotted names of absolute imports, from the syntax tree (or a line scan when the file does not parse)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return re.findall(r"^\s*(?:from|import)\s+([A-Za-z_][\w.]*)", source, re.MULTILINE)
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def _detect_engine(folder: Path, model_files: list[str], walk: _Walk
                   ) -> tuple[str | None, list[dict[str, str]], dict[str, int]]:
    kinds: dict[tuple[str, str], int] = {}
    evidence: list[dict[str, str]] = []
    per_kind: dict[tuple[str, str], int] = {}

    def note(engine: str, weight: int, reason: str, rel: str) -> None:
        kind = (engine, reason)
        kinds[kind] = max(kinds.get(kind, 0), weight)
        per_kind[kind] = per_kind.get(kind, 0) + 1
        if per_kind[kind] <= 5:
            evidence.append({"path": rel, "engine": engine, "reason": reason, "weight": str(weight)})

    for rel in model_files:
        found = _file_evidence(rel, walk.dirs)
        if found:
            note(found[0], found[1], found[2], rel)
    for rel in model_files:
        if rel.rsplit("/", 1)[-1] != "customize_service.py":
            continue
        source = _read_source(folder / rel) or ""
        for base, engines in _BASE_CLASSES.items():
            if re.search(rf"\b{base}\b", source):
                for engine in engines:
                    note(engine, 4 if len(engines) == 1 else 2, f"customize_service.py uses {base}", rel)
        for module in {name.split(".")[0] for name in _imported_modules(source)}:
            if module in _ENGINE_IMPORTS:
                note(_ENGINE_IMPORTS[module], 1, f"customize_service.py imports {module}", rel)
    scores: dict[str, int] = {}
    for (engine, _), weight in kinds.items():
        scores[engine] = scores.get(engine, 0) + weight
    evidence.sort(key=lambda e: (-scores[e["engine"]], -int(e["weight"]), e["path"]))
    for item in evidence:
        del item["weight"]
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None, evidence, scores
    return ranked[0][0], evidence, scores


def _settle_engine(report: PackageReport, detected: str | None, scores: dict[str, int], config_type: str | None,
                   evidence: list[dict[str, str]]) -> None:
    def because(engine: str) -> str:
        paths = [e["path"] for e in evidence if e["engine"] == engine][:3]
        return ", ".join(paths)

    config_rel = "model/config.json" if report.model_dir else "config.json"
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if detected is None and len(ranked) > 1:
        report.warning(None, f"the files fit {ranked[0][0]} ({because(ranked[0][0])}) and {ranked[1][0]} "
                             f"({because(ranked[1][0])}) equally well; set model_type in config.json")
    if canonical_model_type(config_type) == config_type:
        report.engine = config_type
        if detected and detected != config_type and config_type != "Image":
            report.warning(config_rel, f'model_type is "{config_type}" but the files look like {detected} '
                                       f"({because(detected)}): check which one is right")
        return
    report.engine = detected
    if detected and report.config is not None:
        said = f'"{config_type}"' if config_type else "missing"
        report.warning(config_rel, f"model_type is {said}; the files look like {detected} "
                                   f"({because(detected)})")


def _check_engine_files(report: PackageReport, model_files: list[str], walk: _Walk) -> None:
    names = {rel: rel.rsplit("/", 1)[-1].lower() for rel in model_files}
    if report.engine in ENGINES and report.model_dir and not report.engine_evidence:
        report.warning("model", f"no {report.engine} model file recognised in model/ (weights such as "
                                f"{_TYPICAL_FILES.get(report.engine, 'the saved model')})")
    for rel, name in names.items():
        if name == "saved_model.pb":
            parent = rel.rpartition("/")[0]
            if (f"{parent}/variables" if parent else "variables") not in walk.dirs:
                report.warning(rel, "saved_model.pb without a variables/ folder beside it: TensorFlow Serving "
                                    "needs variables/variables.index and variables.data-*")
    params = [rel for rel, name in names.items() if name.endswith(".params")]
    if params and not any(name.endswith("-symbol.json") for name in names.values()):
        report.warning(params[0], "MXNet .params without a matching -symbol.json: MXNet needs both to load the model")


_TYPICAL_FILES = {"PyTorch": "*.pth or *.pt", "TensorFlow": "saved_model.pb with variables/, or *.h5",
                  "Scikit_Learn": "*.pkl or *.joblib", "XGBoost": "*.bst or *.model", "MindSpore": "*.ckpt or *.mindir",
                  "MXNet": "*-symbol.json with *.params", "Caffe": "*.caffemodel with *.prototxt",
                  "Spark_MLlib": "the saved pipeline folder"}


# ------------------------------------------------------------------------------------------ dependency guessing

_PIP_NAMES = {
    "cv2": "opencv-python-headless", "PIL": "Pillow", "sklearn": "scikit-learn", "skimage": "scikit-image",
    "yaml": "PyYAML", "bs4": "beautifulsoup4", "Crypto": "pycryptodome", "dateutil": "python-dateutil",
    "attr": "attrs", "huggingface_hub": "huggingface-hub", "fitz": "PyMuPDF", "docx": "python-docx",
    "Levenshtein": "python-Levenshtein", "jwt": "PyJWT", "zmq": "pyzmq", "serial": "pyserial",
    "paddle": "paddlepaddle", "soundfile": "SoundFile", "skopt": "scikit-optimize", "OpenSSL": "pyOpenSSL",
    "magic": "python-magic", "google.protobuf": "protobuf", "tensorboardX": "tensorboardX",
    "pycocotools": "pycocotools", "mmcv": "mmcv", "lxml": "lxml", "sentencepiece": "sentencepiece",
}
_NEVER_PIP = {"model_service", "__future__", "__main__"}  # model_service ships with ModelArts' serving images


def _python_files(root: Path) -> Iterator[tuple[str, Path]]:
    walk = _walk(root)
    for rel in walk.files:
        if rel.endswith(".py"):
            yield rel, root / rel


def infer_dependencies(folder: str | os.PathLike[str], runtime: str | None = None) -> list[dict[str, Any]]:
    """The pip packages the model's Python files (model/ if there is one) import, pinned to this kernel's versions.

    Returns `[{"package_name", "imported_as", "files", "in_runtime", "installed", "package_version", "restraint",
    "note"}]`, sorted by name. Standard-library and the package's own modules are left out. The distribution is the
    installed one that provides the module (importlib.metadata), pinned EXACT where saved models need the same
    version (dependencies.SERIALISED_BY) and ATLEAST otherwise; `installed` is False, with a `note`, for a module no
    installed distribution provides. `in_runtime` marks what the runtime's image already has (spec.image_modules: the engine's framework, and
    the documented package list of the image where the service publishes one), and
    `note` says when the installed version cannot install on `runtime`'s Python (e.g. "python3.6").
    """
    folder = Path(folder).expanduser()
    root = folder / "model" if (folder / "model").is_dir() else folder
    if not root.is_dir():
        return []
    stdlib = set(getattr(sys, "stdlib_module_names", ())) | set(sys.builtin_module_names)
    local: set[str] = set()
    imports: dict[str, tuple[str, list[str]]] = {}
    sources = []
    for count, (rel, path) in enumerate(_python_files(root)):
        if count >= _MAX_SOURCE_FILES:
            break
        parts = rel.split("/")
        local.update(parts[:-1])
        local.add(parts[-1][:-3])
        sources.append((rel, path))
    for rel, path in sources:
        source = _read_source(path)
        if source is None:
            continue
        for module in _imported_modules(source):
            top = module.split(".")[0]
            if top in stdlib or top in local or top in _NEVER_PIP or not top.isidentifier():
                continue
            key = "google.protobuf" if module.startswith("google.protobuf") else top
            if key == "google":
                continue
            package = _PIP_NAMES.get(key, top)
            entry = imports.setdefault(package, (key, []))
            if rel not in entry[1]:
                entry[1].append(rel)
    engine = inspect(folder).engine
    provided = image_modules(engine or "", runtime)
    rows = []
    for guess, (key, files) in imports.items():
        pinned = dependencies.pin(key, guess, runtime)
        rows.append({**pinned, "imported_as": key, "files": files, "in_runtime": key in provided})
    return sorted(rows, key=lambda row: row["package_name"].lower())
