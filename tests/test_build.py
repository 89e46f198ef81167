"""package.build on real models trained here in well under a second: scikit-learn, XGBoost and PyTorch (CPU).

Each package is linted, dry-run in a real worker, imported into a real embedded registry and served locally; every
refusal leaves the target folder as it was."""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import warnings
from pathlib import Path

import pytest

from model_import_widget import Model, Session, package
from model_import_widget.errors import PackageBuildError

sklearn = pytest.importorskip("sklearn", reason="scikit-learn is installed by scripts/test.sh (the examples extra)")
numpy = pytest.importorskip("numpy")

from sklearn.datasets import load_iris  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer, StandardScaler  # noqa: E402

X, Y = load_iris(return_X_y=True)


def version(name: str) -> str:
    return metadata.version(name).split("+")[0]


def quietly(*args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return package.build(*args, **kwargs)


@pytest.fixture
def pipeline():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, Y)


@pytest.fixture
def session(tmp_path):
    return Session(backend="embedded", home=tmp_path / "registry")


def config(folder: Path) -> dict:
    return json.loads((folder / "model" / "config.json").read_text())


def untouched(parent: Path) -> list[str]:
    """What build left beside the folder: nothing but what the test made."""
    return sorted(p.name for p in parent.iterdir() if ".building-" in p.name or ".replaced-" in p.name)


def test_a_scikit_learn_pipeline_builds_imports_and_serves(tmp_path, pipeline, session):
    with pytest.warns(UserWarning, match="The runtime python3.6 has Python 3.6, too old for joblib"):
        built = package.build(pipeline, tmp_path / "iris", example=X[:3])
    folder = tmp_path / "iris"
    assert built.files == ["model/config.json", "model/customize_service.py", "model/model.joblib"]
    assert built.model_type == "Scikit_Learn" and built.runtime == "python3.6"
    document = config(folder)
    assert document["model_type"] == "Scikit_Learn" and document["model_algorithm"] == "predict_analysis"
    request_schema = document["apis"][0]["request"]["data"]
    assert request_schema["properties"]["instances"] == {"type": "array", "items": {"type": "array",
                                                                                    "items": {"type": "number"}}}
    assert document["apis"][0]["response"]["data"]["properties"]["predictions"]["items"] == {"type": "integer"}
    assert document["dependencies"] == [{"installer": "pip", "packages": [
        {"package_name": "joblib", "package_version": version("joblib"), "restraint": "EXACT"},
        {"package_name": "numpy", "package_version": version("numpy"), "restraint": "ATLEAST"},
        {"package_name": "scikit-learn", "package_version": version("scikit-learn"), "restraint": "EXACT"}]}]
    assert built.dry_run.ok and built.response == {"predictions": pipeline.predict(X[:3]).tolist()}
    assert set(built.dry_run.timings_ms) == {"_preprocess", "_inference", "_postprocess"}
    assert package.inspect(folder).ok
    assert untouched(tmp_path) == []

    model = Model(session, model_name="iris", model_version="1.0.0", **built.model_fields())
    assert model.get_model_info()["model_status"] == "published"

    with package.serve(folder) as service:
        answer = service.ask({"instances": X[100:103].tolist()})
        assert answer.ok and answer.schema_problems == []
        assert answer.response == {"predictions": pipeline.predict(X[100:103]).tolist()}


def test_dependency_inference_on_the_built_folder_gives_exactly_its_rows(tmp_path, pipeline):
    folder = quietly(pipeline, tmp_path / "iris", example=X[:2]).folder
    rows = package.infer_dependencies(folder, runtime="python3.6")
    assert [(r["package_name"], r["restraint"], r["in_runtime"], r["installed"]) for r in rows] == [
        ("joblib", "EXACT", False, True), ("numpy", "ATLEAST", False, True), ("scikit-learn", "EXACT", True, True)]
    assert all("needs Python" in r["note"] for r in rows)


def test_without_an_example_a_row_of_zeros_of_the_model_width_is_sent(tmp_path, pipeline):
    built = quietly(pipeline, tmp_path / "p")
    assert built.request == {"instances": [[0.0, 0.0, 0.0, 0.0]]}


def test_a_newer_runtime_means_no_python_warning(tmp_path, pipeline):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        built = package.build(pipeline, tmp_path / "p", example=X[:2],
                              runtime="python3.11")
    assert built.warnings == [] and config(built.folder)["runtime"] == "python3.11"


def test_xgboost_estimator_and_booster(tmp_path):
    xgboost = pytest.importorskip("xgboost", reason="xgboost-cpu is installed by scripts/test.sh")
    estimator = xgboost.XGBClassifier(n_estimators=4, max_depth=2).fit(X, Y)
    built = quietly(estimator, tmp_path / "xgb", example=X[:2])
    assert built.model_type == "XGBoost" and "model/model.ubj" in built.files
    assert built.response["predictions"] == estimator.predict(X[:2]).tolist()
    packages = {p["package_name"]: p for p in config(built.folder)["dependencies"][0]["packages"]}
    assert packages["xgboost"] == {"package_name": "xgboost", "package_version": version("xgboost-cpu"),
                                   "restraint": "EXACT"}

    booster = xgboost.train({"objective": "multi:softprob", "num_class": 3}, xgboost.DMatrix(X, Y), 3)
    built = quietly(booster, tmp_path / "booster")
    expected = booster.predict(xgboost.DMatrix(numpy.zeros((1, 4))))
    assert numpy.allclose(built.response["predictions"], expected)


def test_a_pytorch_module_is_saved_as_torchscript(tmp_path, session):
    torch = pytest.importorskip("torch", reason="a CPU build of torch is installed by scripts/test.sh")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Dropout(0.5), torch.nn.Linear(8, 3))
    net.train()
    example = torch.tensor(X[:2], dtype=torch.float32)
    built = quietly(net, tmp_path / "net", example=example)
    assert net.training, "build left the user's module in eval mode"
    assert built.model_type == "PyTorch" and "model/model.pt" in built.files
    net.eval()
    with torch.no_grad():
        expected = net(example).tolist()
    assert numpy.allclose(built.response["predictions"], expected, rtol=1e-5)
    packages = {p["package_name"]: p for p in config(built.folder)["dependencies"][0]["packages"]}
    assert packages["torch"] == {"package_name": "torch", "package_version": version("torch"), "restraint": "EXACT"}
    model = Model(session, model_name="net", model_version="1.0.0", **built.model_fields())
    assert model.get_model_info()["model_status"] == "published"


def test_a_pytorch_module_that_cannot_be_scripted_is_traced_with_a_warning(tmp_path):
    torch = pytest.importorskip("torch", reason="a CPU build of torch is installed by scripts/test.sh")

    class Untyped(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 2)

        def forward(self, x, *extra):  # *args: TorchScript cannot compile it; tracing can
            return self.linear(x)

    with pytest.warns(UserWarning, match="saved by tracing"):
        built = package.build(Untyped(), tmp_path / "traced", example=torch.zeros(2, 4))
    assert built.dry_run.ok


def test_pytorch_needs_an_example(tmp_path):
    torch = pytest.importorskip("torch", reason="a CPU build of torch is installed by scripts/test.sh")
    with pytest.raises(PackageBuildError, match=r"example= is needed: a PyTorch module's input shape"):
        package.build(torch.nn.Linear(4, 2), tmp_path / "p")
    assert not (tmp_path / "p").exists() and untouched(tmp_path) == []


@pytest.mark.parametrize("thing, message", [
    ({"weights": [1, 2]}, r"cannot package a builtins.dict: build\(\) packages a fitted scikit-learn estimator"),
    (LogisticRegression, r"cannot package a class: .* \(pass the fitted object, not its class\)"),
    (LogisticRegression(), r"the LogisticRegression is not fitted: call .fit\(X, y\) first"),
])
def test_what_cannot_be_packaged_is_refused_and_nothing_is_written(tmp_path, thing, message):
    with pytest.raises(PackageBuildError, match=message):
        package.build(thing, tmp_path / "p", example=X[:2])
    assert sorted(os.listdir(tmp_path)) == []


def test_a_lambda_in_the_pipeline_cannot_be_pickled(tmp_path):
    model = make_pipeline(FunctionTransformer(lambda x: x * 2), LogisticRegression(max_iter=500)).fit(X, Y)
    with pytest.raises(PackageBuildError, match="cannot be saved with joblib .* a lambda"):
        package.build(model, tmp_path / "p", example=X[:2])
    assert sorted(os.listdir(tmp_path)) == []


class DefinedHere(LogisticRegression):
    """A class the service cannot import: it lives in this test module, a file no installed distribution provides."""


def test_a_class_the_service_cannot_import_is_refused_before_anything_runs(tmp_path):
    model = DefinedHere(max_iter=500).fit(X, Y)
    with pytest.raises(PackageBuildError, match=r"the model uses test_build.DefinedHere, defined in the module "
                                                r"test_build, which no installed distribution provides"):
        quietly(model, tmp_path / "p", example=X[:2])
    in_notebook = type("Mine", (LogisticRegression,), {"__module__": "__main__"})(max_iter=500).fit(X, Y)
    with pytest.raises(PackageBuildError, match=r"the model uses __main__.Mine, defined in the notebook: the service "
                                                r"could not load it"):
        quietly(in_notebook, tmp_path / "p", example=X[:2])
    assert sorted(os.listdir(tmp_path)) == []


def test_a_class_from_an_installed_library_becomes_a_dependency(tmp_path):
    """A model whose class comes from a distribution other than scikit-learn needs that distribution too."""
    from xgboost.sklearn import XGBClassifier  # an XGBoost estimator inside a scikit-learn pipeline

    model = make_pipeline(StandardScaler(), XGBClassifier(n_estimators=2)).fit(X, Y)
    built = quietly(model, tmp_path / "p", example=X[:2])
    names = [p["package_name"] for p in config(built.folder)["dependencies"][0]["packages"]]
    assert names == ["joblib", "numpy", "scikit-learn", "xgboost"]


def test_bad_examples_say_how_to_pass_rows(tmp_path, pipeline):
    with pytest.raises(PackageBuildError, match=r"2 dimensions\), not 1: pass example=\[row\]"):
        package.build(pipeline, tmp_path / "p", example=X[0])
    with pytest.raises(PackageBuildError, match="holds <U"):
        package.build(pipeline, tmp_path / "p", example=[["a", "b", "c", "d"]])
    assert sorted(os.listdir(tmp_path)) == []


def test_a_non_empty_folder_is_refused_unless_overwrite_and_a_package(tmp_path, pipeline):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "thesis.txt").write_text("years of work")
    with pytest.raises(PackageBuildError, match=r"is not empty \(thesis.txt\): choose a new folder, or pass "
                                                r"overwrite=True"):
        package.build(pipeline, notes, example=X[:2])
    with pytest.raises(PackageBuildError, match=r"holds files that are not a model package \(thesis.txt\)"):
        package.build(pipeline, notes, example=X[:2], overwrite=True)
    assert [p.name for p in notes.iterdir()] == ["thesis.txt"] and untouched(tmp_path) == []

    first = quietly(pipeline, tmp_path / "pkg", example=X[:2])
    with pytest.raises(PackageBuildError, match="is not empty"):
        package.build(pipeline, first.folder, example=X[:2])
    again = quietly(pipeline, first.folder, example=X[:3], overwrite=True)
    assert len(again.request["instances"]) == 3 and untouched(tmp_path) == []


def test_overwrite_never_deletes_what_build_did_not_write(tmp_path, pipeline):
    built = quietly(pipeline, tmp_path / "pkg", example=X[:2])
    (built.folder / "train.csv").write_text("data")
    (built.folder / "notebooks").mkdir()
    (built.folder / "notebooks" / "eda.ipynb").write_text("{}")
    (built.folder / "model" / "helper.py").write_text("# mine")
    with pytest.raises(PackageBuildError, match=r"holds files build did not write \(model/helper.py, notebooks/, "
                                                r"train.csv\): overwrite=True replaces only a package build wrote"):
        package.build(pipeline, built.folder, example=X[:2], overwrite=True)
    assert (built.folder / "train.csv").read_text() == "data" and (built.folder / "model" / "helper.py").exists()
    assert untouched(tmp_path) == []


def test_files_that_appear_during_the_build_are_never_replaced(tmp_path, pipeline, monkeypatch):
    """Someone writes into the (empty) target while the dry run runs: the build fails and their file stays."""
    from model_import_widget import builder

    target = tmp_path / "new"
    real_check = builder._check

    def meanwhile(*args, **kwargs):
        result = real_check(*args, **kwargs)
        target.mkdir()
        (target / "thesis.docx").write_text("years of work")
        return result

    monkeypatch.setattr(builder, "_check", meanwhile)
    with pytest.raises(PackageBuildError, match=r"changed while the package was built, and nothing in it was "
                                                r"replaced: .* is not empty \(thesis.docx\)"):
        quietly(pipeline, target, example=X[:2])
    assert (target / "thesis.docx").read_text() == "years of work" and untouched(tmp_path) == []


def test_a_build_killed_midway_is_cleaned_up_or_put_back_by_the_next(tmp_path, pipeline):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)  # a process that is gone: its leftovers are stale
    half = tmp_path / f".pkg.building-{pid}-abc"
    (half / "model").mkdir(parents=True)
    (half / "model" / "model.joblib").write_bytes(b"half")
    built = quietly(pipeline, tmp_path / "pkg", example=X[:2])
    assert untouched(tmp_path) == [], "the killed build's half-made package was left"

    aside = tmp_path / f".pkg.replaced-{pid}-def"
    aside.mkdir()
    built.folder.rename(aside / "old")  # killed between its two renames: the old package is only aside
    assert not built.folder.exists()
    again = quietly(pipeline, tmp_path / "other", example=X[:2])  # a build of another folder leaves it alone
    assert aside.exists() and again.folder.exists()
    quietly(pipeline, tmp_path / "pkg", example=X[:2], overwrite=True)  # this folder's next build puts it back first
    assert untouched(tmp_path) == [] and (tmp_path / "pkg" / "model" / "model.joblib").exists()


def test_awkward_targets_get_a_clear_refusal(tmp_path, pipeline):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(PackageBuildError, match="afile is a file, not a folder"):
        package.build(pipeline, tmp_path / "afile" / "pkg", example=X[:2])
    built = quietly(pipeline, tmp_path / "pkg", example=X[:2])
    again = quietly(pipeline, built.folder / "model" / "..", example=X[:2], overwrite=True)
    assert again.folder == built.folder and untouched(tmp_path) == [] and untouched(built.folder / "model") == []
    with pytest.raises(PackageBuildError, match=r"the model cannot answer the example: ValueError: .*\(the model takes "
                                                r"rows of 4 numbers; the example's are 7\)"):
        package.build(pipeline, tmp_path / "wide", example=numpy.zeros((2, 7)))
    with pytest.raises(PackageBuildError, match="example has no rows"):
        package.build(pipeline, tmp_path / "none", example=numpy.zeros((0, 4)))
    with pytest.raises(PackageBuildError):
        package.build(pipeline, tmp_path / "a" / "b" / "c", example=numpy.zeros((0, 4)))
    assert not (tmp_path / "a").exists(), "folders made for a failed build were left"


def test_a_link_or_a_file_is_not_a_folder(tmp_path, pipeline):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "file").write_text("x")
    with pytest.raises(PackageBuildError, match="is a symbolic link"):
        package.build(pipeline, tmp_path / "link", example=X[:2])
    with pytest.raises(PackageBuildError, match="is a file, not a folder"):
        package.build(pipeline, tmp_path / "file", example=X[:2])
    assert list((tmp_path / "real").iterdir()) == []


def test_model_type_must_fit_the_object(tmp_path, pipeline):
    with pytest.raises(PackageBuildError, match="model_type 'PyTorch' does not fit"):
        package.build(pipeline, tmp_path / "p", example=X[:2], model_type="PyTorch")


BROKEN = {  # what each change to the built service does, and the words a dry run must say
    "syntax error": (lambda code: code.replace("def _preprocess(self, data):", "def _preprocess(self, data:"),
                     "syntax_error", "customize_service.py, line"),
    "missing import": (lambda code: "import not_installed_helper_mod\n" + code, "import_error",
                       "No module named 'not_installed_helper_mod'"),
    "exception in _postprocess": (lambda code: code.replace('return {"predictions": numpy.asarray(data).tolist()}',
                                                            'raise KeyError("label_names")'),
                                  "exception", "KeyError: 'label_names'"),
    "infinite loop": (lambda code: code.replace("return self.model.predict(data)",
                                                "while True:\n            pass"), "timeout", "timed out after 4 s"),
    "wrong answer shape": (lambda code: code.replace('{"predictions": numpy.asarray(data).tolist()}',
                                                     '{"labels": numpy.asarray(data).tolist()}'), None,
                           "response.predictions: required but missing"),
}


@pytest.mark.parametrize("variant", sorted(BROKEN))
def test_broken_variants_of_a_real_package_say_what_broke_within_the_timeout(tmp_path, pipeline, variant):
    import sys
    import time

    built = quietly(pipeline, tmp_path / "pkg", example=X[:2])
    service = built.folder / "model" / "customize_service.py"
    change, error, words = BROKEN[variant]
    service.write_text(change(service.read_text()))
    if variant == "wrong answer shape":  # the apis say which field the answer must have
        document = config(built.folder)
        document["apis"][0]["response"]["data"]["required"] = ["predictions"]
        (built.folder / "model" / "config.json").write_text(json.dumps(document))
    started = time.monotonic()
    result = package.dry_run(built.folder, built.request, timeout=4)
    assert time.monotonic() - started < 8
    if error is None:
        assert result.ok and result.schema_problems == [words]
    else:
        assert result.error == error and words in (result.message + result.traceback), result
        if error == "exception":
            assert result.stage == "_postprocess" and "worker.py" not in result.traceback
    assert "customize_service" not in sys.modules and "model_service" not in sys.modules  # the kernel untouched

    rows = [(r["package_name"], r["installed"], r["restraint"])
            for r in package.infer_dependencies(built.folder)]
    expected = [("joblib", True, "EXACT"), ("numpy", True, "ATLEAST"), ("scikit-learn", True, "EXACT")]
    if variant == "missing import":
        expected.insert(1, ("not_installed_helper_mod", False, None))
    assert rows == expected


def test_a_whole_training_set_as_example_sends_only_its_first_rows(tmp_path, pipeline):
    from model_import_widget import spec

    built = quietly(pipeline, tmp_path / "p", example=X)
    assert len(built.request["instances"]) == spec.MAX_EXAMPLE_ROWS == 10
    assert built.response == {"predictions": pipeline.predict(X[:10]).tolist()}


def test_build_runs_only_its_own_code_and_does_not_warn_about_it(tmp_path, pipeline):
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        package.build(pipeline, tmp_path / "p", example=X[:2])
    assert not [w for w in said if issubclass(w.category, package.RunsPackageCodeWarning)]
