"""Speed of the form in the kernel, each as a ratio to a bare ipywidgets Text -> Label echo measured in this run.

    python benchmarks/bench_form.py

Reports (issue 3): the time from a field change to its `error` trait updating, and form construction time.
No front end is attached (widgets talk to ipywidgets' default comm), so this is the kernel's share of the work.
"""

from __future__ import annotations

import statistics
import tempfile
import time

from ipywidgets import Label, Text

from model_import_widget import ModelImportForm, Session


def median_seconds(fn, rounds: int = 7, number: int = 50) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for index in range(number):
            fn(index)
        times.append((time.perf_counter() - start) / number)
    return statistics.median(times)


def main() -> None:
    session = Session(backend="embedded", home=tempfile.mkdtemp(prefix="bench-form-"))

    text, label = Text(), Label()
    text.observe(lambda change: setattr(label, "value", change["new"]), "value")

    def echo(index: int) -> None:
        text.value = f"1.0.{index}x"
        assert label.value == text.value

    form = ModelImportForm(session)
    form.set_values({"model_type": "PyTorch", "source_location": "obs://my-bucket/models/digits/",
                     "input_params": [{"url": "/", "param_name": f"p{i}", "param_type": "number"} for i in range(4)],
                     "dependencies": [{"installer": "pip", "packages": [{"package_name": "numpy"}]}]})
    version = form.fields["model_version"]

    def field_change(index: int) -> None:
        version.value = f"01.0.{index}" if index % 2 else f"1.0.{index}"
        assert bool(version.error) == bool(index % 2)

    echo_time = median_seconds(echo, number=200)
    change_time = median_seconds(field_change, number=100)
    build_echo = median_seconds(lambda i: (Text(), Label()), number=200)
    build_form = median_seconds(lambda i: ModelImportForm(session), rounds=5, number=5)

    print("field change -> its error trait updated (kernel side)")
    print(f"  ipywidgets Text -> Label echo          {echo_time * 1e3:8.3f} ms")
    print(f"  form: type a version, error updated    {change_time * 1e3:8.3f} ms   {change_time / echo_time:6.1f}× echo")
    print("construction")
    print(f"  Text() + Label()                       {build_echo * 1e3:8.3f} ms")
    print(f"  ModelImportForm()                      {build_form * 1e3:8.3f} ms   {build_form / build_echo:6.1f}× Text+Label")


if __name__ == "__main__":
    main()
