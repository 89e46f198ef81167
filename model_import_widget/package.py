"""Model packages: what users call to make, check and try one before importing it.

- `build(model, folder, example=…)` writes a complete package for a model object in memory (builder.py);
- `inspect(folder)` lints a folder, `infer_dependencies(folder)` pins what its code imports (lint.py);
- `dry_run(folder, request)` runs its customize_service.py on one request in a separate process (dryrun/);
- `apis_from_example(request, response)` writes config.json's apis from an example (examples.py).
"""

from .builder import BuiltPackage, build
from .dryrun import DryRunResult, LocalService, RunsPackageCodeWarning, dry_run, serve
from .examples import apis_from_example, params_from_example
from .lint import ENGINES, MAX_PACKAGE_BYTES, SKIPPED_DIR_NAMES, PackageReport, infer_dependencies, inspect

__all__ = ["build", "BuiltPackage", "inspect", "PackageReport", "infer_dependencies", "dry_run", "DryRunResult",
           "serve", "LocalService", "RunsPackageCodeWarning", "apis_from_example", "params_from_example", "MAX_PACKAGE_BYTES",
           "SKIPPED_DIR_NAMES", "ENGINES"]
