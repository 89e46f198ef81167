"""The vendor SDK's Environment / CondaDependencies mapped onto the rule table's runtime and dependencies."""

import pytest

from model_import_widget import spec
from model_import_widget.errors import SpecValidationError
from model_import_widget.sdk.environment import CondaDependencies, Environment, environment_fields


def fields_of(*pip, conda=(), **kw):
    return environment_fields(Environment(conda=CondaDependencies.create(pip_packages=list(pip),
                                                                         conda_packages=list(conda)), **kw))


def pkg(name, version=None, restraint=None):
    return {"package_name": name, **({"package_version": version, "restraint": restraint} if version else {})}


def problems(*pip, conda=()):
    with pytest.raises(SpecValidationError) as info:
        fields_of(*pip, conda=conda)
    return info.value.errors


def assert_valid(fields):
    report = spec.check({"model_version": "1.0.0", "source_location": "/bucket/dir/", "model_type": "PyTorch",
                         "dependencies": fields["dependencies"]})
    assert report.errors == []


def test_vendor_snippet_pip_packages():
    env = Environment()
    env.conda = CondaDependencies.create(pip_packages=["numpy==1.21.0", "torch>=1.8", "pillow"])
    fields = environment_fields(env)
    assert fields == {"dependencies": [{"installer": "pip", "packages": [
        pkg("numpy", "1.21.0", "EXACT"), pkg("torch", "1.8", "ATLEAST"), pkg("pillow")]}]}
    assert_valid(fields)


def test_vendor_snippet_with_conda_package_is_refused_with_the_pip_spelling():
    # The rule table's only installer is pip (spec.Dependency): a conda group would be refused by the service.
    env = Environment()
    env.conda = CondaDependencies.create(pip_packages=["numpy==1.21.0", "torch>=1.8", "pillow"],
                                         conda_packages=["opencv"])
    with pytest.raises(SpecValidationError) as info:
        environment_fields(env)
    [error] = info.value.errors
    assert error["field"] == "environment.conda.conda_packages[0]"
    assert error["type"] == "environment_package"
    assert "pip packages only" in error["message"] and "pip_packages as 'opencv'" in error["message"]
    assert "opencv-python" in error["message"]


@pytest.mark.parametrize("text, expected", [
    ("numpy", pkg("numpy")),
    ("numpy==1.21.0", pkg("numpy", "1.21.0", "EXACT")),
    ("numpy>=1.21", pkg("numpy", "1.21", "ATLEAST")),
    ("numpy<=1.21", pkg("numpy", "1.21", "ATMOST")),
    ("numpy~=1.21", pkg("numpy", "1.21", "ATLEAST")),
    ("  scikit-learn == 1.0.2 ", pkg("scikit-learn", "1.0.2", "EXACT")),
    ("torch==1.8.0+cpu", pkg("torch", "1.8.0+cpu", "EXACT")),
    ("ray[rllib]==2.0", pkg("ray[rllib]", "2.0", "EXACT")),
    ("ray[rllib, tune]>=2.0", pkg("ray[rllib,tune]", "2.0", "ATLEAST")),
])
def test_each_pip_operator(text, expected):
    fields = fields_of(text)
    assert fields["dependencies"] == [{"installer": "pip", "packages": [expected]}]
    assert_valid(fields)


@pytest.mark.parametrize("text, suggestion", [
    ("opencv=4.5", "'opencv==4.5'"), ("opencv==4.5", "'opencv==4.5'"), ("scipy>=1.7", "'scipy>=1.7'"),
    ("scipy<=1.7", "'scipy<=1.7'"), ("scipy", "'scipy'"), ("x=1.0=py38_0", "under its pip name"),
])
def test_conda_specs_are_read_and_redirected_to_pip(text, suggestion):
    [error] = problems("numpy", conda=[text])
    assert error["field"] == "environment.conda.conda_packages[0]"
    assert f"move it to pip_packages {'as ' if suggestion[0] == chr(39) else ''}{suggestion}" in error["message"]


def test_all_problems_collected_at_once_with_field_paths():
    errors = problems("numpy==1.21.0",                    # 0 fine
                      "torch>=1.8,<2",                    # 1 two rules
                      "pillow; python_version<'3.8'",     # 2 marker
                      "six!=1.0",                         # 3 !=
                      "h5py<3",                           # 4 <
                      "scipy>1",                          # 5 >
                      "git+https://github.com/x/y.git",   # 6 URL
                      "-r requirements.txt",              # 7 option
                      3,                                  # 8 not a string
                      "pkg @ https://host/pkg.whl",       # 9 direct reference
                      "numpy==1.*",                       # 10 wildcard
                      "",                                 # 11 empty
                      conda=["opencv"])
    by_field = {e["field"]: e["message"] for e in errors}
    assert list(by_field) == [f"environment.conda.pip_packages[{i}]" for i in range(1, 12)] + [
        "environment.conda.conda_packages[0]"]
    assert {e["type"] for e in errors} == {"environment_package"}
    assert by_field["environment.conda.pip_packages[1]"] == (
        "'torch>=1.8,<2' has 2 version rules: ModelArts takes one (EXACT ==, ATLEAST >= or ATMOST <=); "
        "write 'torch>=1.8'")
    assert "environment marker" in by_field["environment.conda.pip_packages[2]"]
    assert "write 'pillow'" in by_field["environment.conda.pip_packages[2]"]
    assert "uses !=" in by_field["environment.conda.pip_packages[3]"]
    assert "uses <," in by_field["environment.conda.pip_packages[4]"] and "'h5py<=3'" in by_field[
        "environment.conda.pip_packages[4]"]
    assert "uses >," in by_field["environment.conda.pip_packages[5]"]
    assert "URL" in by_field["environment.conda.pip_packages[6]"]
    assert "pip option" in by_field["environment.conda.pip_packages[7]"]
    assert "not 3" in by_field["environment.conda.pip_packages[8]"]
    assert "URL" in by_field["environment.conda.pip_packages[9]"]
    assert "'1.*'" in by_field["environment.conda.pip_packages[10]"]
    assert "not ''" in by_field["environment.conda.pip_packages[11]"]


def test_error_message_lists_every_field():
    with pytest.raises(SpecValidationError) as info:
        fields_of("a<1", "b>1")
    assert "2 problem(s)" in str(info.value)
    assert "environment.conda.pip_packages[0]" in str(info.value)
    assert "environment.conda.pip_packages[1]" in str(info.value)


def test_bad_extras_name_is_refused():
    [error] = problems("ray[rl lib]==1")
    assert error["field"] == "environment.conda.pip_packages[0]"


def test_runtime_passthrough_and_empty_groups_left_out():
    assert environment_fields(Environment(runtime="python3.7")) == {"runtime": "python3.7"}
    assert environment_fields(Environment(name="e", runtime=" python3.6 ", conda=CondaDependencies())) == {
        "runtime": "python3.6"}
    assert environment_fields(Environment()) == {}
    assert environment_fields(None) == {}
    fields = fields_of("numpy", runtime="pytorch_1.8.0-cuda_10.2-py_3.7-ubuntu_18.04-x86_64")
    assert fields["runtime"] == "pytorch_1.8.0-cuda_10.2-py_3.7-ubuntu_18.04-x86_64"
    assert list(fields) == ["runtime", "dependencies"]


def test_python_version_adds_nothing_and_does_not_fail():
    conda = CondaDependencies.create(pip_packages=["numpy"], python_version="3.7")
    assert conda.python_version == "3.7"
    assert environment_fields(Environment(conda=conda)) == {
        "dependencies": [{"installer": "pip", "packages": [pkg("numpy")]}]}


def test_non_string_runtime_is_an_error():
    with pytest.raises(SpecValidationError) as info:
        environment_fields(Environment(runtime=3.7))
    assert info.value.errors[0]["field"] == "environment.runtime"


def test_wrong_types_raise_type_error():
    with pytest.raises(TypeError, match="must be an Environment.*not dict"):
        environment_fields({"runtime": "python3.7"})
    with pytest.raises(TypeError, match="must be an Environment.*not str"):
        environment_fields("python3.7")
    env = Environment()
    env.conda = ["numpy"]
    with pytest.raises(TypeError, match="environment.conda must be a CondaDependencies.*not list"):
        environment_fields(env)
    with pytest.raises(TypeError, match="list of requirement strings"):
        CondaDependencies.create(pip_packages="numpy")


def test_add_packages_and_repr():
    conda = CondaDependencies.create()
    conda.add_pip_package("numpy==1.21.0")
    conda.add_conda_package("opencv")
    assert conda.pip_packages == ["numpy==1.21.0"] and conda.conda_packages == ["opencv"]
    assert conda.python_version is None
    env = Environment(name="infer", runtime="python3.7", conda=conda)
    assert repr(env) == ("Environment(name='infer', runtime='python3.7', conda=CondaDependencies("
                         "pip_packages=['numpy==1.21.0'], conda_packages=['opencv']))")
    assert repr(Environment()) == "Environment()"
    conda.conda_packages.clear()
    conda.add_pip_package("torch>=1.8")
    assert environment_fields(env)["dependencies"][0]["packages"] == [pkg("numpy", "1.21.0", "EXACT"),
                                                                       pkg("torch", "1.8", "ATLEAST")]


def test_create_copies_the_lists():
    given = ["numpy"]
    conda = CondaDependencies.create(pip_packages=given)
    conda.add_pip_package("torch")
    assert given == ["numpy"]
