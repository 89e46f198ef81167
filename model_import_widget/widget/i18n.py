"""Words of the form in languages other than English, in one catalog keyed by field and rule.

English lives in the rule table (field docstrings, x-messages); this file only translates. Missing keys fall back to English.
"""

from __future__ import annotations

import locale
import os
import re

from ..spec import RULE_KEYWORD

LANGUAGES = ("en", "zh")

# field -> (label, tooltip)
FIELDS_ZH: dict[str, tuple[str, str]] = {
    "model_name": ("模型名称", "1–64 个字母、数字、_ 或 -，以字母开头。留空则自动生成。"),
    "model_version": ("版本", "三个 0–99 的数字，不带前导零，例如 1.0.0。"),
    "model_type": ("模型类型", "引擎：TensorFlow、MXNet、Caffe、Spark_MLlib、Scikit_Learn、XGBoost、MindSpore、Image 或 PyTorch。"),
    "model_algorithm": ("算法", "模型用途，例如 image_classification、object_detection、predict_analysis。"),
    "description": ("描述", "最多 100 个字符，不能包含 !<>=&'\"。"),
    "source_location_type": ("位置类型", "OBS_SOURCE 表示 OBS 目录，LOCAL_SOURCE 表示本机目录。"),
    "source_location": ("模型位置", "包含 model/ 的目录：OBS 上的 obs://bucket/dir/ 或 /bucket/dir/，或本机路径。"),
    "execution_code": ("推理代码", "source 位置 model/ 下的 customize_service.py 路径，通常留空。"),
    "source_job_id": ("训练作业 ID", "生成该模型的训练作业，用于追溯。"),
    "source_job_version": ("训练作业版本", "该训练作业的版本。"),
    "source_type": ("模型来源", "ExeML 模型选 auto，其余选“无”。"),
    "runtime": ("运行环境", "该类型的推理环境，例如 python3.6。"),
    "input_params": ("输入参数", "推理接口的输入；config.json 中已有 apis 时留空。"),
    "output_params": ("输出参数", "推理接口的输出；config.json 中已有 apis 时留空。"),
    "dependencies": ("依赖包", "模型需要的 pip 包。"),
    "packages": ("依赖包", "要安装的包，至少一个。"),
    "installer": ("安装方式", "仅支持 pip。"),
    "apis": ("APIs", "config.json 格式的推理接口（JSON）。"),
    "wait": ("等待发布完成", "代码中 wait=True 表示等到模型发布完成才返回；不勾选则注册后即返回（之后调用 model.wait()）。"),
    "url": ("路径", "以 / 开头的推理路径。"),
    "param_name": ("参数名", "最多 64 个字符。"),
    "param_type": ("类型", "string、object、array、number、integer 或 file。"),
    "min": ("最小值", "仅用于 number 和 integer。"),
    "max": ("最大值", "仅用于 number 和 integer，且不小于最小值。"),
    "param_desc": ("说明", "最多 100 个字符。"),
    "package_name": ("包名", "pip 包名，例如 numpy。"),
    "package_version": ("版本", "例如 1.15.0；留空表示最新。"),
    "restraint": ("约束", "EXACT、ATLEAST 或 ATMOST；填写版本时必填。"),
}

# (field, JSON-schema keyword) -> message, the same keys as the rule table's x-messages
MESSAGES_ZH: dict[tuple[str, str], str] = {
    ("model_name", "pattern"): "名称须为 1–64 个字母、数字、_ 或 -，并以字母开头",
    ("model_version", "pattern"): "版本须为三个 0–99 的数字，不带前导零，例如 1.0.0",
    ("model_version", "required"): "版本必填：三个 0–99 的数字，例如 1.0.0",
    ("model_type", "required"): "模型类型必填",
    ("model_type", "enum"): "模型类型须为 TensorFlow、MXNet、Caffe、Spark_MLlib、Scikit_Learn、XGBoost、MindSpore、Image、PyTorch 之一",
    ("model_algorithm", "pattern"): "算法须以字母开头，最多 36 个字符，不能包含 !<>=&'\"",
    ("description", "pattern"): "描述最多 100 个字符，不能包含 !<>=&'\"",
    ("source_location", "required"): "模型位置必填：包含 model/ 的目录",
    ("source_location", "minLength"): "模型位置必填：包含 model/ 的目录",
    ("execution_code", "pattern"): "推理代码须为名为 customize_service.py 的文件",
    ("url", "pattern"): "路径须以 / 开头，例如 /",
    ("param_name", "required"): "参数名必填（1–64 个字符）",
    ("param_name", "minLength"): "参数名必填（1–64 个字符）",
    ("param_name", "maxLength"): "参数名最多 64 个字符",
    ("param_desc", "maxLength"): "说明最多 100 个字符",
    ("package_name", "pattern"): "包名须为 pip 包名（字母、数字、. _ -），例如 numpy",
    ("package_name", "required"): "包名必填，例如 numpy",
    ("package_version", "pattern"): "版本须为 pip 版本号，例如 1.15.0",
}

# (field, error type) -> message, for the rules between fields (their types are the rule table's own)
CROSS_ZH: dict[tuple[str, str], str] = {
    ("max", "min_above_max"): "最大值不能小于最小值",
    ("min", "bound_not_numeric"): "最小值只适用于 number 和 integer 类型",
    ("max", "bound_not_numeric"): "最大值只适用于 number 和 integer 类型",
    ("restraint", "restraint_required"): "填写版本后须选择约束：EXACT、ATLEAST 或 ATMOST",
    ("restraint", "restraint_without_version"): "只有填写版本时才能设置约束",
    ("source_location", "obs_path"): "OBS 路径须形如 obs://bucket/dir/ 或 /bucket/dir/",
    ("source_location", "local_path"): "本机目录不存在或不是目录：请给出包含 model/ 的目录",
    ("execution_code", "execution_code_location"): "推理代码须位于模型位置的 model/ 目录下",
    ("apis", "apis_json"): "apis 不是有效的 JSON",
    ("apis", "apis_count"): "除 Image 外的模型只能有一个 API",
}

UI_ZH: dict[str, str] = {
    "Basics": "基本信息", "Source": "来源", "Interface": "接口", "Dependencies": "依赖", "Advanced": "高级",
    "Import model": "导入模型", "Cancel": "取消", "Show code": "显示代码", "Hide code": "隐藏代码",
    "Write config.json": "写入 config.json", "Check the folder again": "重新检查文件夹", "Replace config.json": "替换 config.json", "Add parameter": "添加参数", "Add package": "添加包",
    "Fix these before importing:": "导入前请修正：",
    "A name will be generated: {name}": "将自动生成名称：{name}",
    "Apply from config.json": "采用 config.json 中的值", "Keep mine": "保留我的输入",
    "Use version {version}": "使用版本 {version}", "Refresh": "刷新", "Delete": "删除",
    "Confirm import": "确认导入", "Language": "语言", "Insert code below": "在下方插入代码",
    "Choose a folder…": "选择文件夹…", "Up": "上一级", "Choose this folder": "选择此文件夹", "Close": "关闭",
    "model package": "模型包",
    "The code is in a new cell below the form.": "代码已放入表单下方的新单元格。",
    "The code is copied: paste it into a new cell (this notebook cannot add cells for the form).":
        "代码已复制：请粘贴到新的单元格中（此笔记本无法为表单添加单元格）。",
    "Copy the code below into a new cell (this notebook cannot add cells for the form).":
        "请把下面的代码复制到新的单元格中（此笔记本无法为表单添加单元格）。",
    "This form lost its kernel (it restarted or the form was closed): run the notebook's cells again from the top "
    "(Run → Run All Cells) for a live form. Nothing here is sent any more.":
        "此表单已与内核断开（内核已重启或表单已关闭）：请从头重新运行笔记本的单元格（运行 → 运行所有单元格）以获得可用的表单。此处的操作不会再发送。",
    "The kernel has not answered yet: it is busy (a cell is running), or it restarted (then run the cell again). "
    "Import waits for it.": "内核尚未响应：它正忙（有单元格在运行），或已重启（请重新运行该单元格）。导入会等待它。",
    # the status line
    "Checking…": "正在检查…", "Draft: checked, nothing blocks importing": "草稿：已检查，可以导入",
    "Draft: 1 problem to fix before importing ({fields})": "草稿：导入前还有 1 个问题需要修正（{fields}）",
    "Draft: {count} problems to fix before importing ({fields})": "草稿：导入前还有 {count} 个问题需要修正（{fields}）",
    "{where}: {message}": "{where}：{message}", "Use the next free version?": "改用下一个可用版本？",
    "{name} {version} exists already (id {model_id}); the next free version is {next}":
        "{name} {version} 已存在（ID {model_id}）；下一个可用版本是 {next}",
    "Checked: a local model, registered nowhere yet (model.publish_model() imports it)":
        "已检查：本地模型，尚未注册（model.publish_model() 会导入它）",
    "Copying files…": "正在复制文件…", "Publishing {name} {version}…": "正在发布 {name} {version}…",
    "Published {name} {version}": "已发布 {name} {version}", "Cancelled: nothing was registered": "已取消：未注册任何内容",
    "Import failed": "导入失败", "Import failed: {reason}": "导入失败：{reason}", "Import stopped:": "导入已停止：",
    "{done}/{total} files · {copied} / {size}": "{done}/{total} 个文件 · {copied} / {size}", "Model id": "模型 ID",
    "Model import": "模型导入", "(no version yet)": "（尚无版本）", "no model type yet": "尚无模型类型",
    "draft": "草稿", "local": "本地", "copying": "复制中", "publishing": "发布中", "published": "已发布",
    "failed": "失败", "cancelled": "已取消",
    # placeholders, choices, table rows
    "blank: a name is generated": "留空则自动生成名称", "e.g. {example}": "例如 {example}",
    "choose the engine…": "请选择引擎…", "Image: your own container image": "Image：自己的容器镜像",
    "Custom: your own container image (runtime = its SWR address)": "Custom：自己的容器镜像（运行环境填 SWR 地址）",
    "OBS_SOURCE: a folder on OBS": "OBS_SOURCE：OBS 上的目录", "LOCAL_SOURCE: a folder on this machine": "LOCAL_SOURCE：本机目录",
    "none: a model you trained or wrote": "无：自己训练或编写的模型", "auto: made by ExeML (automatic learning)": "auto：由 ExeML（自动学习）生成",
    "{table}, row {row}": "{table}第 {row} 行", "model": "模型",
    "The code imports {packages}, not in the dependencies: add them, pinned to this kernel's versions? (Change or "
    "remove rows in the table afterwards.)": "代码导入了 {packages}，但依赖中没有：要添加并固定为本内核的版本吗？（之后可在表格中修改或删除。）",
    "No installed package provides {modules}: check the names.": "没有已安装的包提供 {modules}：请检查名称。",
    "Add them": "添加", "Not now": "暂不", "config.json has other values for: {fields}": "config.json 中以下字段的值不同：{fields}",
    "choose a type…": "请选择类型…", "any version": "任意版本", "pip": "pip",
    "{column} in row {row}": "第 {row} 行的{column}", "Move row {row} up": "上移第 {row} 行",
    "Move row {row} down": "下移第 {row} 行", "Remove row {row}": "删除第 {row} 行", "Row actions": "行操作",
    # the badge, questions, notices
    "Embedded registry": "本机注册表", "explicit credentials": "显式传入的凭据",
    "credentials from the environment": "环境变量中的凭据", "credentials from a profile file": "配置文件中的凭据",
    "the notebook's agency": "笔记本的委托", 
    "no region: pass region_name= to Session() or set HUAWEICLOUD_SDK_REGION":
        "未设置区域：请向 Session() 传入 region_name=，或设置 HUAWEICLOUD_SDK_REGION",
    "This imports the model into {where}.": "这会把模型导入 {where}。",
    "The folder {folder} is uploaded first to {target}.": "目录 {folder} 会先上传到 {target}。",
    "Wrote {path}": "已写入 {path}", "(the old one is kept at {path})": "（旧文件保存在 {path}）",
    "Could not write config.json: {error}": "无法写入 config.json：{error}",
    "{path} exists. Replace it with what the form says? What the form does not edit stays, and the old file is kept "
    "in the registry's folder.": "{path} 已存在。要用表单中的内容替换它吗？表单未编辑的内容保持不变，旧文件保存在注册表目录中。",
}


def default_language() -> str:
    """zh when the kernel's locale is Chinese, else en; MODEL_IMPORT_WIDGET_LANG overrides."""
    chosen = os.environ.get("MODEL_IMPORT_WIDGET_LANG", "").strip().lower()
    if chosen in LANGUAGES:
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        value = os.environ.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    try:
        code = locale.getlocale()[0] or ""
    except ValueError:
        code = ""
    return "zh" if code.lower().startswith("zh") else "en"


MISSING: set[str] = set()
"""UI strings asked for in Chinese that the catalog lacks (shown in English): the tests demand none."""


def text(english: str, language: str, **values: str) -> str:
    """A UI string in `language`, with {placeholders} filled."""
    if language == "zh" and english and english not in UI_ZH:
        MISSING.add(english)
    template = UI_ZH.get(english, english) if language == "zh" else english
    return template.format(**values) if values else template


# The embedded registry's events (it records them in English, as ModelArts records its own in the account's
# language): (pattern, Chinese with the pattern's groups). A failure's own reason stays as recorded.
EVENTS_ZH: list[tuple[re.Pattern[str], str]] = [(re.compile(pattern), chinese) for pattern, chinese in (
    (r"^Import started: (?P<files>\d+) files \((?P<size>[^)]*)\) from (?P<source>.*?)(?P<rest>;.*)?$",
     "开始导入：{files} 个文件（{size}），来自 {source}{rest}"),
    (r"^Copied (?P<files>\d+) files \((?P<size>[^)]*)\): (?P<new>\d+) stored new, (?P<known>\d+) already stored, "
     r"(?P<cached>\d+) unchanged since an earlier import \(not read again\)(?P<rest>.*)$",
     "已复制 {files} 个文件（{size}）：新存入 {new} 个，已存在 {known} 个，{cached} 个自上次导入后未变（未重新读取）{rest}"),
    (r"^Checked the package: (?P<what>.*) in place, config\.json read$", "已检查模型包：{what} 就位，已读取 config.json"),
    (r"^Model published$", "模型已发布"),
)]


def event_text(info: str, language: str) -> str:
    """One event of a model as the form and the models list show it: in Chinese when its wording is known."""
    if language != "zh":
        return info
    for pattern, chinese in EVENTS_ZH:
        found = pattern.match(info)
        if found:
            return chinese.format(**{k: (v or "").replace(" and ", " 和 ").replace(" bytes", " 字节")
                                     for k, v in found.groupdict().items()})
    return info


def field_words(field: str, english_label: str, english_tooltip: str, language: str) -> tuple[str, str]:
    if language == "zh" and field in FIELDS_ZH:
        return FIELDS_ZH[field]
    return english_label, english_tooltip


def rule_message(field: str, keyword: str, english: str, language: str) -> str:
    return MESSAGES_ZH.get((field, keyword), english) if language == "zh" else english


def error_message(error: dict, language: str) -> str:
    """An error of `spec.validate` in `language`: the catalog's words plus what was typed; English when not in it."""
    if language != "zh":
        return error["message"]
    field = error["field"].split(".")[-1].split("[")[0]
    kind = error["type"]
    message = CROSS_ZH.get((field, kind)) or MESSAGES_ZH.get((field, RULE_KEYWORD.get(kind, "")))
    if not message:
        return error["message"]
    _, got, typed = error["message"].partition(" — got ")
    return f"{message}（当前：{typed}）" if got else message


UI_ZH.update({  # Try locally (widget/trial.py)
    "Try locally": "本地试运行",
    "Run the package's customize_service.py on one sample request, on this machine":
        "在本机用一个示例请求运行模型包的 customize_service.py",
    "This runs {path} on this machine, in a separate process, as you: it can read your files and use the network "
    "like any code you run. Run only packages you trust.":
        "这会以你的身份在本机的独立进程中运行 {path}：它能像你运行的任何代码一样读取你的文件、访问网络。只运行你信任的模型包。",
    "Run it": "运行", "Run again": "再次运行", "Stop": "停止", "stopped before it answered": "在应答前已停止", "Sample request (JSON)": "示例请求（JSON）",
    "The sample request cannot be sent ({error}): correct it, then run it.": "示例请求无法发送（{error}）：改正后再运行。",
    "nested too deeply": "嵌套过深",
    "it is {size} characters; Try locally takes at most {limit}: send larger requests from code with package.dry_run":
        "它有 {size} 个字符；本地试运行最多接受 {limit} 个：更大的请求请在代码中用 package.dry_run 发送",
    "Running customize_service.py on this machine…": "正在本机运行 customize_service.py…",
    "Answer": "应答", "Stage times": "各阶段耗时", "Check": "检查", "Does not fit config.json's apis": "与 config.json 的 apis 不符",
    "The answer fits config.json's apis.": "应答符合 config.json 的 apis。",
    "Use this answer as the example": "用此应答作为示例",
    " (in {stage})": "（位于 {stage}）", "Traceback (the package's own code)": "调用栈（模型包自己的代码）",
    "What it printed": "它的输出", "preprocess": "预处理", "inference": "推理", "postprocess": "后处理",
    "Back to the example": "恢复示例", "Example": "示例",
    "The parameters and apis already follow this answer: nothing changed.": "参数和 apis 已与此应答一致：没有改动。",
    "The input and output parameters and apis now follow the sample request and its answer.":
        "输入输出参数和 apis 已按示例请求及其应答更新。",
    "Answered in {ms} ms ({seconds} s with starting the package)": "{ms} 毫秒内应答（含启动模型包共 {seconds} 秒）",
    "Try locally cannot run this package's inference{stage}: {message}": "本地试运行无法运行此模型包的推理{stage}：{message}",
    "ModelArts' {base} runs the engine on the weights there, and Try locally only imitates the base class: define "
    "_inference in customize_service.py (or set self.model to a function in __init__) to try this package here":
        "ModelArts 的 {base} 在此用引擎加载权重推理，而本地试运行只模仿基类：在 customize_service.py 中定义 _inference"
        "（或在 __init__ 中把 self.model 设为函数）即可在此试运行",
    "Stopped before it answered.": "在应答前已停止。",
    "No answer in time, so the package was stopped: {message}": "未按时应答，模型包已停止：{message}",
    "The package's process ended before it answered: {message}": "模型包的进程在应答前结束：{message}",
    "{path} is not a file here: replace it with the path of a file on this machine (a relative path starts at {cwd})":
        "{path} 在此不是文件：请换成本机上一个文件的路径（相对路径从 {cwd} 开始）",
    "Add {package} to the dependencies": "将 {package} 加入依赖", "Missing module": "缺少模块",
    "{module} is not installed in this kernel, so the package cannot run here: install it to try it (pip install "
    "{module}), and list it in the dependencies for ModelArts.":
        "本内核未安装 {module}，模型包无法在此运行：安装后即可试运行（pip install {module}），并将其列入 ModelArts 的依赖。",
    "The package's code failed{stage}: {message}": "模型包的代码出错{stage}：{message}",
})

UI_ZH.update({  # the models list
    "Models": "模型", "Name": "名称", "Version": "版本", "Type": "类型", "Status": "状态", "Size": "大小",
    "Created": "创建时间", "Actions": "操作", "Newer": "较新", "Older": "较旧", "Newer models": "较新的模型",
    "Older models": "较旧的模型", "Read the registry again": "重新读取注册表", "Events": "事件", "Yes, delete": "确认删除",
    "Published": "已发布", "Publishing": "发布中", "Building": "构建中", "Copying": "复制中", "Failed": "失败",
    "Build failed": "构建失败", "Deleting": "删除中", "Local": "本地", "Info": "信息", "Warning": "警告",
    "{first}–{last} of {total}": "第 {first}–{last} 个，共 {total} 个", "No models": "没有模型",
    "{first} of {total}": "第 {first} 个，共 {total} 个",
    "No models named like “{name}”": "没有名称包含“{name}”的模型", "{count} bytes": "{count} 字节",
    "Delete {model}": "删除 {model}", "Events of {model}": "{model} 的事件", "Deleted {model}": "已删除 {model}",
    "Could not delete {model}: {error}": "无法删除 {model}：{error}",
    "Could not delete {model}: the registry did not report it deleted": "无法删除 {model}：注册表未报告已删除",
    "Could not read the models: {error}": "无法读取模型列表：{error}",
    "Could not read the events: {error}": "无法读取事件：{error}",
    "Delete {model}? “Yes, delete” removes it and the files the registry keeps for it; Cancel keeps it.":
        "删除 {model}？点击“确认删除”将删除该模型及注册表为它保存的文件；点击“取消”则保留。",
    "Delete {model} from ModelArts? “Yes, delete” removes it (its files in OBS stay); Cancel keeps it.":
        "从 ModelArts 删除 {model}？点击“确认删除”将删除该模型（OBS 中的文件会保留）；点击“取消”则保留。",
    "Why it failed:": "失败原因：", "No events recorded.": "没有记录的事件。", "Model ID": "模型 ID",
    "Embedded registry at {home}": "本机注册表：{home}", "no region": "未设置区域",
})
