"""package: layout lint, engine detection and dependency guesses on small model folders built in tmp_path."""

from __future__ import annotations

import builtins
import json
import os
from pathlib import Path

import pytest

from model_import_widget import lint, package
from model_import_widget.errors import ServiceError
from model_import_widget.package import MAX_PACKAGE_BYTES, PackageReport, infer_dependencies, inspect

PT_SERVICE = "from model_service.pytorch_model_service import PTServingBaseService\n\n" \
             "class Service(PTServingBaseService):\n    pass\n"


API = {"protocol": "http", "url": "/", "method": "post",
       "request": {"Content-type": "multipart/form-data",
                   "data": {"type": "object", "properties": {"images": {"type": "file"}}}},
       "response": {"Content-type": "application/json",
                    "data": {"type": "object", "properties": {"label": {"type": "string"}}}}}


def config(model_type: str | None = "PyTorch", **extra) -> str:
    fields = {"model_algorithm": "image_classification", "apis": [API], **extra}
    if model_type:
        fields["model_type"] = model_type
    return json.dumps(fields)


def make(root: Path, files: dict[str, str | bytes]) -> Path:
    for rel, content in files.items():
        path = root / rel
        if rel.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return root


def good(root: Path, **more: str | bytes) -> Path:
    return make(root, {"model/config.json": config(), "model/customize_service.py": PT_SERVICE,
                       "model/resnet.pth": b"\0" * 100, **more})


def problems(report: PackageReport) -> list[str]:
    return [f"{p['path']}: {p['message']}" for p in report.problems]


def warnings(report: PackageReport) -> list[str]:
    return [f"{w['path']}: {w['message']}" for w in report.warnings]


def has(lines: list[str], *parts: str) -> bool:
    return any(all(part in line for part in parts) for line in lines)


# -------------------------------------------------------------------------------------------------- layout


def test_a_good_package_has_no_problems(tmp_path):
    report = inspect(good(tmp_path))
    assert report.ok and report.problems == [] and report.warnings == []
    assert report.folder == tmp_path and report.model_dir == tmp_path / "model"
    assert report.engine == "PyTorch"
    assert report.config is not None and report.config.fields["model_type"] == "PyTorch"
    assert report.file_count == 3
    assert report.size == len(config()) + len(PT_SERVICE) + 100
    assert "engine PyTorch" in str(report)


def test_a_folder_that_does_not_exist(tmp_path):
    report = inspect(tmp_path / "nope")
    assert problems(report) == [f"None: {tmp_path / 'nope'} does not exist"]


def test_a_file_instead_of_a_folder_points_at_the_package_folder(tmp_path):
    good(tmp_path)
    report = inspect(tmp_path / "model" / "config.json")
    assert has(problems(report), "is a file, not a folder", f"choose the folder that contains model/ ({tmp_path})")


def test_no_model_subfolder(tmp_path):
    report = inspect(make(tmp_path, {"weights.pth": b"x"}))
    assert has(problems(report), "no model/ folder in ")
    assert report.model_dir is None and report.config is None


def test_choosing_the_model_folder_itself_asks_for_its_parent(tmp_path):
    good(tmp_path)
    report = inspect(tmp_path / "model")
    assert has(problems(report), "looks like the model folder itself", f"choose its parent ({tmp_path})")
    assert report.engine == "PyTorch"  # its config.json is still read


def test_a_capitalised_model_folder(tmp_path):
    report = inspect(make(tmp_path, {"Model/config.json": config()}))
    assert has(problems(report), "Model:", 'named exactly "model"')


def test_missing_config_json(tmp_path):
    report = inspect(make(tmp_path, {"model/customize_service.py": PT_SERVICE, "config.json": config()}))
    assert has(problems(report), "model/config.json:", "is missing", "found config.json: move it into model/")


def test_unreadable_config_json_names_the_line(tmp_path):
    report = inspect(good(tmp_path, **{"model/config.json": '{\n  "model_type": "PyTorch"\n  "runtime": "x"\n}'}))
    assert problems(report) == ["model/config.json: model/config.json, line 3, column 3: "
                                'expected , or } after the value of "model_type", found \'"runtime"\'']
    assert report.config is None


def test_config_warnings_are_passed_on_with_their_line(tmp_path):
    report = inspect(good(tmp_path, **{"model/config.json": '{"model_type": "PyTorch", // x\n'
                                                           ' "model_algorithm": "a",}'}))
    assert report.ok
    assert has(warnings(report), "model/config.json: line 1: 1 comment removed")
    assert has(warnings(report), "model/config.json: line 2: trailing comma")


def test_missing_customize_service_for_a_non_image_model(tmp_path):
    report = inspect(make(tmp_path, {"model/config.json": config("TensorFlow"), "model/saved_model.pb": b"x",
                                     "model/variables/variables.index": b"x"}))
    assert problems(report) == ["model/customize_service.py: model/customize_service.py is missing: ModelArts needs "
                                "it for a TensorFlow model"]


def test_customize_service_in_the_wrong_place(tmp_path):
    report = inspect(make(tmp_path, {"model/config.json": config(), "model/code/customize_service.py": PT_SERVICE}))
    assert has(problems(report), "is missing", "found model/code/customize_service.py: move it into model/")


def test_an_image_model_needs_no_customize_service(tmp_path):
    report = inspect(make(tmp_path, {"model/config.json": config("Image", swr_location="swr.x/o/i:1")}))
    assert report.ok and report.engine == "Image"


def test_two_customize_service_files(tmp_path):
    report = inspect(good(tmp_path, **{"model/old/customize_service.py": PT_SERVICE}))
    assert has(problems(report), "2 customize_service.py files", "model/customize_service.py",
               "model/old/customize_service.py", "exactly one")


def test_another_config_json_is_a_warning_only(tmp_path):
    report = inspect(good(tmp_path, **{"model/bert/config.json": "{}"}))
    assert report.ok
    assert has(warnings(report), "model/bert/config.json:", "ModelArts reads only model/config.json")


def test_names_with_spaces_or_non_ascii(tmp_path):
    report = inspect(good(tmp_path, **{"model/my labels.txt": "a", "model/标签.txt": "b"}))
    assert has(warnings(report), "model/my labels.txt: name has a space")
    assert has(warnings(report), "model/标签.txt: name is not plain ASCII")


def test_many_odd_names_are_summarised(tmp_path):
    report = inspect(good(tmp_path, **{f"model/img {i}.jpg": "x" for i in range(30)}))
    assert len([w for w in report.warnings if "has a space" in w["message"]]) == lint.MAX_LISTED
    assert has(warnings(report), "… and 10 more names with spaces")


def test_jupyter_cache_and_git_folders_are_skipped_and_said_so(tmp_path):
    report = inspect(good(tmp_path, **{
        "model/.ipynb_checkpoints/customize_service-checkpoint.py": "x",
        "model/.ipynb_checkpoints/customize_service.py": "x",
        "model/__pycache__/customize_service.cpython-311.pyc": "x",
        ".git/config.json": "{",
    }))
    assert report.ok and report.file_count == 3
    assert has(warnings(report), "model/.ipynb_checkpoints: skipped: Jupyter's autosave copies")
    assert has(warnings(report), "model/__pycache__: skipped")
    assert has(warnings(report), ".git: skipped: version control history")


def test_symlinks_outside_the_package_and_broken_ones(tmp_path):
    outside = tmp_path / "elsewhere.bin"
    outside.write_bytes(b"12345")
    root = good(tmp_path / "pkg")
    os.symlink(outside, root / "model" / "weights.bin")
    os.symlink(tmp_path / "missing", root / "model" / "gone.bin")
    os.symlink(tmp_path, root / "model" / "loop")
    (root / "model" / "v3").mkdir()
    os.symlink("v3", root / "model" / "latest")
    report = inspect(root)
    assert not report.ok  # as the import judges them: each of these links is refused
    assert has(problems(report), "model/weights.bin is a symbolic link to a file outside the package", "refuses")
    assert has(problems(report), "model/gone.bin is a broken symbolic link")
    assert has(problems(report), "model/loop is a symbolic link to a folder outside the package")
    assert has(problems(report), "model/latest is a symbolic link to the folder model/v3, which the package holds")
    assert report.size == len(config()) + len(PT_SERVICE) + 100


def test_links_inside_the_package_are_judged_as_the_import_judges_them(tmp_path):
    from model_import_widget.registry.importer import walk

    root = good(tmp_path / "pkg")
    os.symlink("customize_service.py", root / "model" / "service-link.py")
    assert inspect(root).ok
    assert "model/service-link.py" in {f.rel for f in walk(root, str(root)).files}
    (root / "model" / "v3").mkdir()
    os.symlink("v3", root / "model" / "latest")
    assert has(problems(inspect(root)), "model/latest", "which the package holds already")
    with pytest.raises(ServiceError, match="symbolic link model/latest leads to the folder model/v3"):
        walk(root, str(root))


def test_a_package_over_20_gb_is_a_problem_and_weights_are_never_read(tmp_path, monkeypatch):
    root = good(tmp_path)
    with open(root / "model" / "huge.pth", "wb") as stream:  # sparse: no disk used
        stream.truncate(MAX_PACKAGE_BYTES + 1)
    opened: list[str] = []
    real_open = builtins.open

    def spy(file, *args, **kwargs):
        opened.append(os.fspath(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", spy)
    report = inspect(root)
    assert report.size == MAX_PACKAGE_BYTES + 1 + len(config()) + len(PT_SERVICE) + 100
    assert has(problems(report), f"the package is 20 GiB ({report.size:,} bytes): ModelArts imports at most 20 GiB "
                                 "(21,474,836,480 bytes)")
    assert not [path for path in opened if path.endswith(".pth")]


# -------------------------------------------------------------------------------------------------- engines

ENGINE_FILES = [
    ({"model/resnet50.pt": "x"}, "PyTorch"),
    ({"model/best.pth": "x"}, "PyTorch"),
    ({"model/saved_model.pb": "x", "model/variables/variables.index": "x"}, "TensorFlow"),
    ({"model/keras_model.h5": "x"}, "TensorFlow"),
    ({"model/frozen_graph.pb": "x"}, "TensorFlow"),
    ({"model/classifier.pkl": "x"}, "Scikit_Learn"),
    ({"model/pipeline.joblib": "x"}, "Scikit_Learn"),
    ({"model/trees.bst": "x"}, "XGBoost"),
    ({"model/xgboost.model": "x"}, "XGBoost"),
    ({"model/lenet.ckpt": "x", "model/tmp.om": ""}, "MindSpore"),
    ({"model/net.mindir": "x"}, "MindSpore"),
    ({"model/mnist-symbol.json": "{}", "model/mnist-0000.params": "x"}, "MXNet"),
    ({"model/lenet.caffemodel": "x", "model/deploy.prototxt": "x"}, "Caffe"),
]


@pytest.mark.parametrize("files, engine", ENGINE_FILES, ids=[e for _, e in ENGINE_FILES])
def test_engine_detected_from_model_files(tmp_path, files, engine):
    report = inspect(make(tmp_path, {"model/config.json": config(None), "model/customize_service.py": "", **files}))
    assert report.engine == engine
    assert {e["engine"] for e in report.engine_evidence} == {engine}
    assert {e["path"] for e in report.engine_evidence} <= set(files)
    assert has(warnings(report), "model/config.json: model_type is missing; the files look like " + engine)


@pytest.mark.parametrize("base, engine", [("PTServingBaseService", "PyTorch"), ("TfServingBaseService", "TensorFlow"),
                                          ("SingleNodeService", "MindSpore"), ("MXNetBaseService", "MXNet")])
def test_engine_detected_from_the_service_base_class(tmp_path, base, engine):
    source = f"from model_service.x import {base}\nclass S({base}):\n    pass\n"
    report = inspect(make(tmp_path, {"model/config.json": config(None), "model/customize_service.py": source}))
    assert report.engine == engine
    assert report.engine_evidence[0] == {"path": "model/customize_service.py", "engine": engine,
                                         "reason": f"customize_service.py uses {base}"}


def test_the_shared_xgboost_sklearn_base_class_is_settled_by_the_files(tmp_path):
    source = "from model_service.python_model_service import XgSklServingBaseService\n"
    xgb = inspect(make(tmp_path / "a", {"model/config.json": config(None), "model/customize_service.py": source,
                                        "model/m.bst": "x"}))
    skl = inspect(make(tmp_path / "b", {"model/config.json": config(None), "model/customize_service.py": source,
                                        "model/m.pkl": "x"}))
    assert (xgb.engine, skl.engine) == ("XGBoost", "Scikit_Learn")


def test_config_model_type_wins_and_agreement_is_silent(tmp_path):
    report = inspect(good(tmp_path))
    assert report.engine == "PyTorch" and not has(warnings(report), "look like")


def test_config_model_type_wins_but_disagreement_is_reported(tmp_path):
    report = inspect(good(tmp_path, **{"model/config.json": config("TensorFlow")}))
    assert report.engine == "TensorFlow"
    assert has(warnings(report), 'model_type is "TensorFlow" but the files look like PyTorch',
               "model/customize_service.py", "model/resnet.pth")


def test_an_unknown_config_model_type_gives_way_to_the_files(tmp_path):
    report = inspect(good(tmp_path, **{"model/config.json": config("Customize")}))
    assert report.engine == "PyTorch"
    assert has(warnings(report), 'model_type is "Customize"; the files look like PyTorch')


def test_a_tie_between_engines_is_left_undecided(tmp_path):
    report = inspect(make(tmp_path, {"model/config.json": config(None), "model/customize_service.py": "",
                                     "model/a.pth": "x", "model/b.h5": "x"}))
    assert report.engine is None
    assert has(warnings(report), "fit", "equally well; set model_type in config.json")


def test_no_weights_for_the_declared_engine(tmp_path):
    report = inspect(make(tmp_path, {"model/config.json": config("PyTorch"), "model/customize_service.py": ""}))
    assert has(warnings(report), "model: no PyTorch model file recognised in model/", "*.pth")


def test_saved_model_without_variables_and_params_without_symbol(tmp_path):
    tf = inspect(make(tmp_path / "tf", {"model/config.json": config("TensorFlow"), "model/customize_service.py": "",
                                        "model/saved_model.pb": "x"}))
    assert has(warnings(tf), "model/saved_model.pb: saved_model.pb without a variables/ folder")
    mx = inspect(make(tmp_path / "mx", {"model/config.json": config("MXNet"), "model/customize_service.py": "",
                                        "model/m-0000.params": "x"}))
    assert has(warnings(mx), "model/m-0000.params: MXNet .params without a matching -symbol.json")


def test_a_big_folder_is_inspected_quickly(tmp_path):
    import time
    files = {f"model/data/{i // 100}/img{i}.jpg": "" for i in range(3000)}
    root = good(tmp_path, **files)
    started = time.perf_counter()
    report = inspect(root)
    assert report.file_count == 3003 and report.ok
    assert time.perf_counter() - started < 2.0


# ------------------------------------------------------------------------------------------- dependencies


def test_infer_dependencies_maps_imports_to_pip_names(tmp_path):
    root = good(tmp_path, **{
        "model/customize_service.py": PT_SERVICE + "import os, json\nimport numpy as np\nimport cv2\n"
                                                   "from PIL import Image\nimport torch.nn as nn\nfrom . import utils\n"
                                                   "import helpers\nfrom sklearn.metrics import f1_score\n",
        "model/helpers.py": "def f():\n    import yaml\n",
        "model/utils/__init__.py": "from google.protobuf import text_format\n",
        "model/broken.py": "import pandas\ndef (:\n",
    })
    found = {d["package_name"]: d for d in infer_dependencies(root)}
    assert sorted(found, key=str.lower) == ["numpy", "opencv-python-headless", "pandas", "Pillow", "protobuf", "PyYAML",
                             "scikit-learn", "torch"]
    assert found["opencv-python-headless"]["imported_as"] == "cv2"
    assert found["torch"]["in_runtime"] is True and found["numpy"]["in_runtime"] is False
    assert found["PyYAML"]["files"] == ["helpers.py"]
    assert found["pandas"]["files"] == ["broken.py"]  # read by a line scan when the file does not parse


def test_infer_dependencies_of_a_folder_without_python(tmp_path):
    assert infer_dependencies(tmp_path) == []
    assert infer_dependencies(tmp_path / "absent") == []


def test_a_config_json_linked_to_a_fifo_is_a_problem_and_never_blocks(tmp_path):
    import os
    import threading

    model = tmp_path / "pkg" / "model"
    model.mkdir(parents=True)
    os.mkfifo(model / "pipe")
    (model / "config.json").symlink_to(model / "pipe")
    (model / "customize_service.py").write_text("class S: pass\n")
    reports = []
    thread = threading.Thread(target=lambda: reports.append(inspect(tmp_path / "pkg")), daemon=True)
    thread.start()
    thread.join(10)
    assert reports, "inspect blocked on a FIFO"
    messages = [p["message"] for p in reports[0].problems]
    assert any("model/config.json is not a regular file" in m for m in messages), messages


def test_fields_are_what_the_folder_tells_config_json_first_then_the_detected_engine(tmp_path):
    root = good(tmp_path / "pkg")
    (root / "model" / "config.json").write_text(json.dumps({
        "model_algorithm": "image_classification", "runtime": "python3.6", "metrics": {"f1": 0.5},
        "dependencies": [{"installer": "pip", "packages": [{"package_name": "numpy"}]}]}))
    fields = inspect(root).fields()
    assert fields["model_type"] == "PyTorch"  # no model_type in config.json: the engine the files show
    assert fields["model_algorithm"] == "image_classification" and fields["runtime"] == "python3.6"
    assert fields["dependencies"][0]["packages"][0]["package_name"] == "numpy"
    assert "metrics" not in fields and "apis" not in fields  # not a form field; and nothing the folder lacks
    (root / "model" / "config.json").write_text(json.dumps({"model_type": "TensorFlow"}))
    assert inspect(root).fields() == {"model_type": "TensorFlow"}


def test_dependencies_are_the_installed_distributions_pinned_to_this_kernels_versions(tmp_path):
    import importlib.metadata as metadata

    root = good(tmp_path, **{"model/customize_service.py": PT_SERVICE + "import yaml\nimport requests\n"
                                                                        "import traitlets.config\n"
                                                                        "import no_such_module_anywhere\nimport torch\n"})
    found = {d["imported_as"]: d for d in infer_dependencies(root)}
    # the module's distribution as installed (yaml comes from PyYAML), at this kernel's version, ATLEAST it
    assert (found["yaml"]["package_name"], found["yaml"]["package_version"], found["yaml"]["restraint"]) == \
        ("PyYAML", metadata.version("PyYAML"), "ATLEAST")
    assert found["traitlets"]["package_version"] == metadata.version("traitlets") and found["traitlets"]["installed"]
    assert found["requests"]["note"] == ""
    missing = found["no_such_module_anywhere"]
    assert missing["installed"] is False and missing["package_version"] is None and missing["restraint"] is None
    assert "no installed distribution provides no_such_module_anywhere" in missing["note"]
    assert found["torch"]["in_runtime"] is True  # the engine's image has it: offered, but not to pin


def test_a_pinned_version_that_cannot_install_on_the_runtimes_python_is_said(tmp_path):
    import importlib.metadata as metadata

    from model_import_widget.dependencies import runtime_python

    root = good(tmp_path, **{"model/customize_service.py": PT_SERVICE + "import traitlets\n"})
    needs = metadata.metadata("traitlets").get("Requires-Python")
    from packaging.specifiers import SpecifierSet

    assert needs and "3.6" not in SpecifierSet(needs) and "3.11" in SpecifierSet(needs)  # (what follows relies on)
    old = {d["imported_as"]: d for d in infer_dependencies(root, runtime="python3.6")}["traitlets"]
    assert old["note"] == (f"traitlets {metadata.version('traitlets')} needs Python {needs}, and the runtime python3.6 "
                           f"has Python 3.6: pin a version that supports 3.6, or choose a newer runtime")
    new = {d["imported_as"]: d for d in infer_dependencies(root, runtime="pytorch_2.1.0-cuda_11.8-py_3.11-ubuntu_22.04-x86_64")}
    assert new["traitlets"]["note"] == ""
    assert [runtime_python(r) for r in ("python3.6", "tf1.13-python3.7-gpu", "mindspore_2.0.0-cann_6.3.0-py_3.7-euler_2.8.3-aarch64",
                                        "custom")] == ["3.6", "3.7", "3.7", ""]


def test_a_distribution_whose_saved_models_need_the_same_version_is_pinned_exact():
    from model_import_widget.dependencies import SERIALISED_BY, pin

    assert {"scikit-learn", "xgboost", "torch", "joblib"} <= SERIALISED_BY
    installed = [name for name in sorted(SERIALISED_BY) if _installed(name)]
    if not installed:
        pytest.skip("none of dependencies.SERIALISED_BY is installed in this venv")
    import importlib.metadata as metadata

    name = installed[0]
    module = next(module for module, names in metadata.packages_distributions().items()
                  if name in {n.lower() for n in names})
    assert pin(module, name)["restraint"] == "EXACT"


def _installed(name: str) -> bool:
    import importlib.metadata as metadata

    try:
        metadata.version(name)
        return True
    except metadata.PackageNotFoundError:
        return False
