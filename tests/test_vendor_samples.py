"""The vendor's documented SDK samples, run as written on both backends (the embedded registry and ModelArts).

Only the import lines are changed (`modelarts.*` -> `model_import_widget.*`) and the placeholders filled; each
sample's `session = Session()` is the fixture's session. The samples' own imports stay inside each test, where the
page writes them. Sources, as read for this file:

- seed   /work/shared/seed/importing-a-model.rst (modelarts_04_0194, the older text with Params and apis)
- OTC    github opentelekomcloud-docs/modelarts @ 1ba1873d960563c60759f67898a855d9ba3c3502,
         doc/sdk-ref/source/model_management/*.rst (0194-0198) and service_management/deploying_a_real-time_service.rst
         (0201)
- HWC    github huaweicloudDocs/modelarts @ e974390566da0c5e0424bd17e72440bb612b0385, cn.zh-cn/SDK参考/模型调试.md
         (modelarts_04_0223, "model debugging"), with the imports of the current English page
         support.huaweicloud.com/intl/en-us/sdkreference-modelarts/modelarts_04_0223.html

Deploying (deploy_predictor, deploy_transformer, Predictor) is out of scope: those lines are left out, said where.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model_import_widget import Model
from model_import_widget.errors import ModelNotFoundError


from both_backends import cloud, obs_package, package, session, unique_number  # noqa: F401  (fixtures)
from both_backends import new_name as _new_name


def new_name(stem: str) -> str:
    """A model name no other test uses, spelled like the page's name (underscores)."""
    return _new_name(stem, "_")


def digit_recognition(session, model_location: str) -> Model:
    """0194's closing example (OTC importing_a_model.rst, the note), which 0195-0198 then find, read and delete."""
    model_instance = Model(session,
                           model_name=new_name("digit_recognition"),  # the page: "digit_recognition"
                           model_version="1.0.0",
                           source_location=model_location,
                           model_type="MXNet",
                           model_algorithm="image_classification"
                           )
    return model_instance


def listed_ids(session, name: str) -> list:
    return [m["model_id"] for m in Model.get_model_list(session, model_name=name)["models"]]


# ---- 0194 Importing a Model ---------------------------------------------------------------------------------


def test_0194_method_1_initializes_an_existing_model(session, cloud, tmp_path):
    # OTC doc/sdk-ref/source/model_management/importing_a_model.rst (and the seed), Method 1
    from model_import_widget import Model, Session  # noqa: F401  (was: modelarts.session, modelarts.model)
    from model_import_widget.sdk.config.model_config import ServiceConfig, Params, Dependencies, Packages  # noqa: F401

    existing = digit_recognition(session, obs_package(session, cloud, tmp_path, "m1", model_type="MXNet"))
    # session = Session()  -> the fixture's session

    model_instance = Model(session, model_id=existing.model_id)  # the page: "your_model_id"

    info = model_instance.get_model_info()
    assert (info["model_id"], info["model_name"], info["model_status"]) == \
        (existing.model_id, existing.get_model_info()["model_name"], "published")
    assert model_instance.get_model_id() == existing.model_id


def test_0194_method_2_creates_a_model_from_obs(session, cloud, tmp_path):
    # OTC doc/sdk-ref/source/model_management/importing_a_model.rst, Method 2 (the current page)
    from model_import_widget import Model, Session  # noqa: F401
    from model_import_widget.sdk.config.model_config import ServiceConfig, Params, Dependencies, Packages  # noqa: F401

    # session = Session()  -> the fixture's session
    # The page's placeholders: its execution code sits right in model_path, so model_path is the package's model/
    # folder (the page's tree: <bucket>/resnet/model/customize_service.py).
    model_path = obs_package(session, cloud, tmp_path, "m2") + "model"
    name = new_name("input_model_name")

    model_location = model_path                               # Change to the OBS path to the model file
    execution_code = model_path + "/customize_service.py"
    runtime = "python3.7"

    model_instance = Model(
                            session,
                            model_name=name,                  # (Optional) Model name
                            model_version="1.0.0",            # (Optional) Model version
                            source_location=model_location,   # OBS path to the model file, for example, /your_obs_bucket/model_path
                            model_type="PyTorch",             # Model type
                            execution_code=execution_code,    # (Optional) OBS path to the execution script
                            runtime = runtime                 # (Optional) Supported runtime environment
                           )

    info = model_instance.get_model_info()
    assert (info["model_name"], info["model_version"], info["model_type"], info["model_status"]) == \
        (name, "1.0.0", "PyTorch", "published")
    assert info["runtime"] == "python3.7"
    assert info["execution_code"].endswith("customize_service.py")
    assert model_instance.model_id in listed_ids(session, name)


def test_0194_method_2_with_the_optional_arguments_left_out(session, cloud, tmp_path):
    # OTC importing_a_model.rst, Method 2 without the lines the page marks "(Optional)": model_version (and
    # execution_code, runtime); a missing version is the next free one
    from model_import_widget import Model, Session  # noqa: F401

    model_location = obs_package(session, cloud, tmp_path, "m2opt")
    name = new_name("input_model_name")

    model_instance = Model(
                            session,
                            model_name=name,                  # (Optional) Model name
                            source_location=model_location,   # OBS path to the model file
                            model_type="PyTorch",             # Model type
                           )
    again = Model(session, model_name=name, source_location=model_location, model_type="PyTorch")

    first, second = model_instance.get_model_info(), again.get_model_info()
    assert (first["model_version"], first["model_status"]) == ("0.0.1", "published")
    assert second["model_status"] == "published"
    assert tuple(map(int, second["model_version"].split("."))) > (0, 0, 1)
    assert sorted(listed_ids(session, name)) == sorted([model_instance.model_id, again.model_id])


def test_0194_method_2_dependencies_definition_formats(session, cloud, tmp_path):
    # OTC importing_a_model.rst, "Definition formats of the dependencies/package parameter group" and the note's
    # example, passed as the seed's Method 2 passes them (dependencies=dependencies)
    from model_import_widget import Model, Session  # noqa: F401
    from model_import_widget.sdk.config.model_config import ServiceConfig, Params, Dependencies, Packages  # noqa: F401

    packages = []
    package1 = Packages(
        package_name="Pillow",             # Package name        (the page: "package_name")
        package_version="8.0.1",           # Package version     (the page: "version")
        restraint="EXACT")
    packages.append(package1)

    dependencies = []
    dependency1 = Dependencies(
            installer="pip",                # Installation mode. pip is supported.
            packages=packages               # Collection of dependency packages. For details, see packages.
            )
    dependencies.append(dependency1)

    # The note: "an example of creating a dependencies parameter group"
    packages = [{
        "package_name": "numpy",
        "package_version": "1.15.0",
        "restraint": "EXACT"
        }, {
            "package_name": "h5py",
            "package_version": "2.8.0",
            "restraint": "EXACT"
        }]
    dependency = Dependencies(installer="pip", packages=packages)
    dependencies.append(dependency)

    name = new_name("input_model_name")
    model_instance = Model(session, model_name=name, model_version="1.0.0",
                           source_location=obs_package(session, cloud, tmp_path, "deps"), model_type="PyTorch",
                           dependencies=dependencies)

    info = model_instance.get_model_info()
    assert info["model_status"] == "published"
    installed = [(p["package_name"], p.get("package_version"), p.get("restraint"))
                 for group in info["dependencies"] for p in group["packages"]]
    assert installed == [("Pillow", "8.0.1", "EXACT"), ("numpy", "1.15.0", "EXACT"), ("h5py", "2.8.0", "EXACT")]
    assert {group["installer"] for group in info["dependencies"]} == {"pip"}


def test_seed_0194_method_2_with_params_dependencies_and_apis(session, cloud, tmp_path):
    # /work/shared/seed/importing-a-model.rst, Method 2 and its input_params / dependencies / packages formats
    from model_import_widget import Model, Session  # noqa: F401
    from model_import_widget.sdk.config.model_config import ServiceConfig, Params, Dependencies, Packages  # noqa: F401

    # session = Session()  -> the fixture's session
    model_location = "obs:/" + obs_package(session, cloud, tmp_path, "seed", model_type="MXNet")  # obs://bucket/dir/
    name = new_name("input_model_name")

    input_params = []                                                # The type of input_params is list.
    input_params1 = Params(
                            url='/',                                 # URL                (the page: 'url')
                            param_name='images',                     # Parameter name     (the page: 'param_name')
                            param_type='file',                       # Parameter type     (the page: 'param_type')
                            param_desc='the digit, as an image')     # (min/max: only for number parameters)
    input_params.append(input_params1)
    output_params = []                                               # the page: "For details, see ... format"
    output_params1 = Params(url='/', param_name='label', param_type='integer', min=0, max=9,
                            param_desc='the digit read')
    output_params.append(output_params1)

    packages  = []
    package1 =  Packages(
                          package_name="numpy",                      # Package name
                          package_version="1.15.0",                  # Package version
                          restraint="EXACT")
    packages.append(package1)

    dependencies = []
    dependency1 = Dependencies(
                                installer="pip",                     # Installation mode. pip is supported.
                                packages=packages)                   # Collection of dependency packages.
    dependencies.append(dependency1)

    apis = json.dumps([{                                             # the page: a String, the model's inference APIs
        "protocol": "http", "url": "/", "method": "post",
        "request": {"Content-type": "multipart/form-data",
                    "data": {"type": "object", "properties": {"images": {"type": "file"}}}},
        "response": {"Content-type": "application/json",
                     "data": {"type": "object", "properties": {"label": {"type": "integer"}}}},
    }])

    model_instance = Model(
                         session,
                         model_name=name,                            # Model name  (the page: "input model name")
                         model_version="1.0.0",                      # Model version
                         source_location=model_location,             # OBS path to a model file
                         model_type="MXNet",                         # Model type
                         model_algorithm="image_classification",     # Model algorithm
                         execution_code=model_location + "model/customize_service.py",  # the page: "OBS_PATH"
                         input_params=input_params,
                         output_params=output_params,
                         dependencies=dependencies,
                         apis=apis)

    info = model_instance.get_model_info()
    assert (info["model_name"], info["model_type"], info["model_algorithm"], info["model_status"]) == \
        (name, "MXNet", "image_classification", "published")
    assert [(p["param_name"], p["param_type"]) for p in info["input_params"]] == [("images", "file")]
    assert [(p["param_name"], p["min"], p["max"]) for p in info["output_params"]] == [("label", 0, 9)]
    assert info["dependencies"][0]["packages"][0] == {"package_name": "numpy", "package_version": "1.15.0",
                                                       "restraint": "EXACT"}
    assert isinstance(info["apis"], str) and json.loads(info["apis"])[0]["url"] == "/"
    assert info["execution_code"].endswith("model/customize_service.py")


def test_0194_the_closing_mxnet_digit_recognition_example(session, cloud, tmp_path):
    # OTC importing_a_model.rst, the note "Example of creating a model in a handwritten digit recognition project"
    from model_import_widget import Model, Session  # noqa: F401

    # session = Session()  -> the fixture's session
    model_location = obs_package(session, cloud, tmp_path, "digits", model_type="MXNet")
    name = new_name("digit_recognition")
    model_instance = Model(session,
                           model_name=name,
                           model_version="1.0.0",
                           source_location=model_location,
                           model_type="MXNet",
                           model_algorithm="image_classification"
                           )

    info = model_instance.get_model_info()
    assert (info["model_name"], info["model_version"], info["model_type"], info["model_status"]) == \
        (name, "1.0.0", "MXNet", "published")


# ---- 0195 Obtaining the Model List, 0196 Obtaining the Model Object List ------------------------------------


_LIST_ITEM_KEYS = {"model_id", "model_name", "model_version", "model_type", "model_size", "tenant", "project", "owner",
                   "create_at", "description", "source_type"}  # 0195 Table 3


def test_0195_obtaining_the_model_list(session, cloud, tmp_path):
    # OTC doc/sdk-ref/source/model_management/obtaining_the_model_list.rst, Scenarios 1 and 2
    from model_import_widget import Model, Session  # noqa: F401

    ours = digit_recognition(session, obs_package(session, cloud, tmp_path, "list", model_type="MXNet"))
    # session = Session()  -> the fixture's session

    # Scenario 1: Query all models of a user.
    model_list = Model.get_model_list(session)

    assert {"total_count", "count", "models"} <= set(model_list)
    assert model_list["count"] == len(model_list["models"]) <= model_list["total_count"]
    assert ours.model_id in [m["model_id"] for m in model_list["models"]]
    assert all(_LIST_ITEM_KEYS <= set(m) for m in model_list["models"])

    # Scenario 2: Query a model based on the search criteria.
    model_list = Model.get_model_list(session, model_status="published", model_name="digit", order="desc")

    assert ours.model_id in [m["model_id"] for m in model_list["models"]]
    assert all("digit" in m["model_name"] for m in model_list["models"])
    created = [m["create_at"] for m in model_list["models"]]
    assert created == sorted(created, reverse=True)


def test_0196_obtaining_the_model_object_list(session, cloud, tmp_path):
    # OTC doc/sdk-ref/source/model_management/obtaining_the_model_object_list.rst, Scenarios 1 and 2
    from model_import_widget import Model, Session  # noqa: F401

    ours = digit_recognition(session, obs_package(session, cloud, tmp_path, "objects", model_type="MXNet"))
    # session = Session()  -> the fixture's session

    # Scenario 1: Obtain all model objects of a user.
    model_object_list = Model.get_model_object_list(session)

    assert 1 <= len(model_object_list) <= 150 and all(isinstance(m, Model) for m in model_object_list)
    assert ours.model_id in [m.model_id for m in model_object_list]

    # Scenario 2: Obtain a model object based on the search criteria.
    model_object_list = Model.get_model_object_list(session, model_status="published", model_name="digit",
                                                    order="desc")

    found = {m.model_id: m for m in model_object_list}
    assert ours.model_id in found
    assert found[ours.model_id].get_model_info()["model_status"] == "published"  # each one a usable Model


# ---- 0197 Querying the Details About a Model ----------------------------------------------------------------


_DETAIL_KEYS = {"model_id", "model_name", "model_version", "tenant", "project", "owner", "create_at", "source_location",
                "source_type", "model_type", "model_size", "model_status", "description", "execution_code",
                "image_address", "input_params", "output_params", "dependencies", "apis"}  # 0197 Table 1, always there


def assert_the_documented_details(info, ours: Model) -> None:
    assert _DETAIL_KEYS <= set(info), sorted(_DETAIL_KEYS - set(info))
    assert (info["model_id"], info["model_type"], info["model_status"]) == (ours.model_id, "MXNet", "published")
    assert isinstance(info["create_at"], int) and info["create_at"] > 1_500_000_000_000  # ms since 1970
    assert isinstance(info["model_size"], int) and info["model_size"] > 4096
    assert isinstance(info["apis"], str)
    assert info["source_location"]


def test_0197_method_1_details_of_an_imported_model(session, cloud, tmp_path):
    # OTC doc/sdk-ref/source/model_management/querying_the_details_about_a_model.rst, Method 1
    ours = digit_recognition(session, obs_package(session, cloud, tmp_path, "details1", model_type="MXNet"))

    from model_import_widget import Session  # noqa: F401
    from model_import_widget import Model
    # session = Session()  -> the fixture's session
    model_instance = Model(session, model_id=ours.model_id)  # the page: "input your model_id"
    model_info = model_instance.get_model_info()

    assert_the_documented_details(model_info, ours)
    assert model_info["model_name"] == ours.get_model_info()["model_name"]


def test_0197_method_2_details_of_the_first_model_object(session, cloud, tmp_path):
    # OTC querying_the_details_about_a_model.rst, Method 2 (the newest model comes first: the list sorts by
    # create_at, descending)
    ours = digit_recognition(session, obs_package(session, cloud, tmp_path, "details2", model_type="MXNet"))

    from model_import_widget import Session  # noqa: F401
    from model_import_widget import Model
    # session = Session()  -> the fixture's session
    model_object_list = Model.get_model_object_list(session)
    model_instance = model_object_list[0]
    model_info = model_instance.get_model_info()

    assert_the_documented_details(model_info, ours)


# ---- 0198 Deleting a Model ----------------------------------------------------------------------------------


def assert_gone(session, model_id: str, name: str) -> None:
    with pytest.raises(ModelNotFoundError):
        Model(session, model_id=model_id)
    assert model_id not in listed_ids(session, name)
    assert model_id not in [m.model_id for m in Model.get_model_object_list(session)]


def test_0198_method_1_delete_an_imported_model(session, cloud, tmp_path):
    # OTC doc/sdk-ref/source/model_management/deleting_a_model.rst, Method 1
    ours = digit_recognition(session, obs_package(session, cloud, tmp_path, "delete1", model_type="MXNet"))
    name = ours.get_model_info()["model_name"]

    from model_import_widget import Session  # noqa: F401
    from model_import_widget import Model
    # session = Session()  -> the fixture's session
    model_instance = Model(session, model_id=ours.model_id)  # the page: "input your model_id"
    model_instance.delete_model()

    assert_gone(session, ours.model_id, name)


def test_0198_method_2_delete_the_first_model_object(session, cloud, tmp_path):
    # OTC deleting_a_model.rst, Method 2
    ours = digit_recognition(session, obs_package(session, cloud, tmp_path, "delete2", model_type="MXNet"))
    name = ours.get_model_info()["model_name"]

    from model_import_widget import Session  # noqa: F401
    from model_import_widget import Model
    # session = Session()  -> the fixture's session
    model_object_list = Model.get_model_object_list(session)
    model_instance = model_object_list[0]
    assert model_instance.model_id == ours.model_id  # (not the page's: the newest first, so [0] is ours)
    model_instance.delete_model()

    assert_gone(session, ours.model_id, name)


# ---- 0201 Deploying a Real-Time Service: only the model and the config objects ---------------------------------


def test_0201_the_deployment_samples_model_and_config_objects(session, cloud, tmp_path):
    # OTC doc/sdk-ref/source/service_management/deploying_a_real-time_service.rst. Method 1 (Predictor(session,
    # service_id=...)) and the deploy_predictor / deploy_transformer calls are out of scope and left out; what comes
    # before them runs as written: the model, the VPC placeholders, ServiceConfig, Schedule, TransformerConfig.
    # Method 2: Deploy a real-time service predictor.
    from model_import_widget import Session  # noqa: F401
    from model_import_widget import Model
    from model_import_widget.sdk.config.model_config import ServiceConfig, TransformerConfig, Schedule

    source = obs_package(session, cloud, tmp_path, "deploy", model_type="MXNet")
    name = new_name("mxnet_model")
    first = Model(session, model_name=name, model_version="1.0.0", source_location=source, model_type="MXNet")
    second = Model(session, model_name=name, model_version="1.0.1", source_location=source, model_type="MXNet")

    # session = Session()  -> the fixture's session
    model_instance = Model(session, model_id=first.model_id)  # the page: 'your_model_id'
    vpc_id = None                                        # (Optional) ID of the VPC where the real-time service instance is deployed.
    subnet_network_id = None                             # (Optional) Subnet ID.
    security_group_id = None                             # (Optional) Security group.
    configs = [ServiceConfig(model_id=model_instance.model_id,
                             weight="100",
                             instance_count=1,
                             specification="modelarts.vm.cpu.2u")]  # For details, see specification.
    schedule = [Schedule(op_type='stop', time_unit='HOURS', duration=1)]  # the page writes it inside the call
    # predictor_instance = model_instance.deploy_predictor(service_name="service_predictor_name",
    #     infer_type="real-time", vpc_id=vpc_id, subnet_network_id=subnet_network_id,
    #     security_group_id=security_group_id, configs=configs, schedule=schedule)   -- out of scope

    assert (vpc_id, subnet_network_id, security_group_id) == (None, None, None)
    assert (configs[0].model_id, configs[0].weight, configs[0].instance_count, configs[0].specification) == \
        (first.model_id, 100, 1, "modelarts.vm.cpu.2u")
    assert (schedule[0].op_type, schedule[0].time_unit.value, schedule[0].duration) == ("stop", "HOURS", 1)

    # "Definition formats of the configs parameter group": a predictor of two versions of one model
    configs = []
    envs = {"model_name":"mxnet-model-1", "load_epoch":"0"}

    service_config1 = ServiceConfig(
            model_id=first.model_id,              # model_id1 and model_id2 must be different versions of the same model.
            weight="70",
            specification="modelarts.vm.cpu.2u",  # For details, see specification.
            instance_count=2,
            envs=envs)                            # (Optional) Configure the environment variable
    service_config2 = ServiceConfig(
            model_id=second.model_id,             # the page: 'model_id2'
            weight="30",
            specification="modelarts.vm.cpu.2u",
            instance_count=2,
            envs=envs)
    configs.append(service_config1)
    configs.append(service_config2)

    assert [(c.model_id, c.weight, c.instance_count, c.envs) for c in configs] == \
        [(first.model_id, 70, 2, envs), (second.model_id, 30, 2, envs)]
    assert sum(c.weight for c in configs) == 100

    # ... and a batch service transformer (Method 3's configs; deploy_transformer itself is out of scope)
    configs = []
    mapping_rule = None                               # (Optional) Mapping between input parameters and CSV data
    mapping_type= "file"                              # file or CSV
    envs = {"model_name":"mxnet-model-1", "load_epoch":"0"}

    transformer_config1 = TransformerConfig(
                model_id=model_instance.model_id,      # the page: "model_id"
                specification="modelarts.vm.cpu.2u",   # For details, see specification.
                instance_count=2,
                src_path="/shp-cn4/sdk-demo/",         # OBS path to the input of the batch task
                dest_path="/shp-cn4/data-out/",        # OBS path to the output of the batch task
                req_uri="/",
                mapping_type=mapping_type,
                mapping_rule=mapping_rule,
                envs=envs)
    configs.append(transformer_config1)

    batch = configs[0]
    assert (batch.model_id, batch.instance_count, batch.req_uri, batch.mapping_type.value, batch.envs) == \
        (first.model_id, 2, "/", "file", envs)
    assert "shp-cn4/sdk-demo" in batch.src_path and "shp-cn4/data-out" in batch.dest_path


# ---- 0223 Model debugging: a local model, then publish_model ---------------------------------------------------


@pytest.mark.parametrize("where", ["obs_location", "default"])
def test_0223_model_debugging_a_local_model_then_publish_model(where, session, cloud, tmp_path):
    # HWC cn.zh-cn/SDK参考/模型调试.md (modelarts_04_0223), steps 1-4, imports as on the current English page.
    # Step 1: customize_service.py and config.json sit beside the trained model, in train/model/.
    src_local_path = package(tmp_path / "tensorflow_mlp_mnist_local_mode" / "train", model_type="TensorFlow") + "/"
    name = new_name("tensorflow_mlp_mnist_local_infer")

    # Step 2: Create a Conda virtual environment for running models.
    from model_import_widget.sdk.environment import Environment  # was: modelarts.environment
    from model_import_widget.sdk.environment import CondaDependencies  # was: modelarts.environment.conda_env

    env = Environment("tensorflow_mlp_mnist")
    cd = CondaDependencies.create(pip_packages=["tensorflow==1.13.1", "Pillow>=8.0.1"],
                                  conda_packages=["python=3.6.2"])
    env.conda = cd

    # Step 3: Create a local model.
    from model_import_widget import Session  # noqa: F401
    from model_import_widget import Model

    # session = Session()  -> the fixture's session
    # src_local_path = "/home/ma-user/work/tensorflow_mlp_mnist_local_mode/train/"  -> the package made above
    model = Model(session,
                  publish=False,
                  source_location_type="LOCAL_SOURCE",         # model file location type
                  source_location=src_local_path + 'model',    # model file location
                  environment=env,
                  model_version='1.0.1',
                  model_type='TensorFlow',                     # the AI framework the model uses
                  model_algorithm="image_classification",
                  model_name=name)                             # the page: "tensorflow_mlp_mnist_local_infer"
    # (The page then points to "service debugging", 0202, to deploy it as a local service: tests/test_predictor.py.)

    assert model.get_model_id().startswith("local-")  # a local id, for a local service
    assert model.get_model_info()["model_status"] == "local"
    assert Model.get_model_list(session, model_name=name)["total_count"] == 0  # nothing registered yet

    # Step 4: publish the local model; with obs_location the files are uploaded there, else to a default folder.
    if where == "obs_location":
        obs_location = f"obs://{cloud.bucket}/debug-{unique_number()}/"
        model.publish_model(obs_location=obs_location)
    else:
        model.publish_model()

    model_id = model.get_model_id()
    assert model_id
    info = Model(session, model_id=model_id).get_model_info()
    assert (info["model_name"], info["model_version"], info["model_type"], info["model_status"]) == \
        (name, "1.0.1", "TensorFlow", "published")
    assert listed_ids(session, name) == [model_id]
    pinned = {(p["package_name"], p.get("package_version"), p.get("restraint"))
              for group in info["dependencies"] for p in group["packages"]}
    assert {("tensorflow", "1.13.1", "EXACT"), ("Pillow", "8.0.1", "ATLEAST")} <= pinned  # env's pip packages
    if session.backend == "modelarts":
        prefix = obs_location.split(cloud.bucket + "/", 1)[1] if where == "obs_location" else "suite/"
        assert any(key.endswith("model/customize_service.py") for key in cloud.obs.list_keys(cloud.bucket, prefix))
