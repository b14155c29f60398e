"""The ``hypo`` command: ``hypo fit DATA.csv --target COL [...]``.

A thin shell over :func:`hypo.api.fit`: it parses arguments, shows a live
progress bar on stderr, prints the laws as a table on stdout and writes the
JSON result atomically.  Every user error is one line on stderr and exit
status 2; Ctrl-C keeps the best laws found so far.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from hypo.errors import HypoError
from hypo.memory import BASE_BYTES
from hypo.progress_display import ProgressDisplay
from hypo.saved import write_json_atomically

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _OneLineParser(argparse.ArgumentParser):
    """argparse that reports a bad command line in one line with a pointer to
    ``--help``, not the whole usage text."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"hypo: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="hypo", description="Find the closed-form laws behind your data.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    fit = commands.add_parser("fit", help="search for laws explaining one column of a CSV file")
    fit.add_argument("data", help="CSV file with a header line")
    fit.add_argument("--target", required=True, help="column to explain")
    _add_fit_options(fit)
    fit.add_argument("--engine", choices=("hypo", "pysr"), default="hypo",
                     help="search with hypo (the default), or with PySR (needs Julia) under the same knowledge, its "
                          "laws then re-scored by hypo's posterior")
    fit.add_argument("--start-laws", metavar="FILE",
                     help="laws to score first: a PySR hall_of_fame.csv, or formulas in the column names, one per "
                          "line")
    fit.add_argument("--workers", type=int, default=1,
                     help="processes the search's islands run on, a local Dask cluster when above 1 (default 1)")
    fit.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://HOST:8786) whose workers run "
                                         "the search's islands")
    fit.add_argument("--output", help="write the result as JSON to this file")
    fit.add_argument("--quiet", action="store_true", help="no progress bar")
    many = commands.add_parser("fit-many", help="fit every CSV of a folder or glob, or several targets of one file")
    many.add_argument("data", help="a CSV file, a folder of CSV files, or a quoted glob such as 'runs/*.csv'")
    targets = many.add_mutually_exclusive_group(required=True)
    targets.add_argument("--target", help="column to explain in every file")
    targets.add_argument("--targets", help="comma-separated columns, each explained by its own fit")
    many.add_argument("--out-dir", default="hypo-results",
                      help="folder for one result JSON per fit and summary.csv (default hypo-results)")
    many.add_argument("--workers", type=int,
                      help="fits at once, each in its own process (default: the machine's cores)")
    many.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://HOST:8786) to run the fits on")
    many.add_argument("--force", action="store_true", help="redo fits whose result file already exists")
    _add_fit_options(many)
    many.add_argument("--quiet", action="store_true", help="no line per finished fit")
    world_model = commands.add_parser("world-model", help="pretrain the structure proposer on synthetic data")
    world_model_commands = world_model.add_subparsers(dest="world_model_command", required=True,
                                                      parser_class=_OneLineParser)
    train = world_model_commands.add_parser("train", help="train on dreams and save a checkpoint")
    train.add_argument("--out", required=True, help="checkpoint file to write (.pt)")
    train.add_argument("--minutes", type=float, default=10.0, help="training time (default 10)")
    train.add_argument("--device", choices=("cpu", "cuda"), default="cpu", help="device (default cpu)")
    train.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    train.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    train.add_argument("--resume", action="store_true",
                       help="continue the training saved in --out (weights, optimizer, place in the dream stream)")
    train.add_argument("--dream-processes", type=int, default=0,
                       help="extra processes that make dreams ahead of training (default 0: dream in between steps)")
    return parser


def _add_fit_options(parser: argparse.ArgumentParser) -> None:
    """The options of one fit, shared by ``fit`` and ``fit-many``."""
    parser.add_argument("--knowledge", help="knowledge file (YAML): units, allowed operators, rules")
    parser.add_argument("--features", help="comma-separated columns the law may use (default: all others)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds to search (default 60)")
    parser.add_argument("--max-evals", type=int, help="stop after this many fitted structures")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--max-size", type=int, default=30, help="largest law, in nodes (default 30)")
    parser.add_argument("--errors", choices=("auto", "absolute", "relative"), default="auto",
                        help="error model: relative suits data spanning orders of magnitude (default auto)")
    parser.add_argument("--noise", choices=("gaussian", "student-t"), default="gaussian",
                        help="noise distribution of the likelihood; student-t tolerates outliers (default gaussian)")
    parser.add_argument("--sigma", type=float,
                        help="known noise level of one row (relative to |y| with --errors relative); "
                             "default: estimated")
    parser.add_argument("--sigma-column", help="column holding each row's measurement uncertainty (not a feature)")
    use = parser.add_mutually_exclusive_group()
    use.add_argument("--world-model", dest="world_model", action="store_true", default=False,
                        help="let the pretrained world model propose structures beside the evolution")
    use.add_argument("--no-world-model", dest="world_model", action="store_false",
                        help="do not use the world model (the default)")
    parser.add_argument("--no-decompose", action="store_true",
                        help="do not divide the problem along the data's symmetries (a - b, a / b) into smaller fits")
    parser.add_argument("--no-mcmc", action="store_true",
                        help="skip sampling the posterior with MCMC after the search")
    parser.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto",
                        help="where batches of constants are fitted: a GPU through torch (cuda), the compiled CPU "
                             "kernels (cpu), or a GPU when one is there (auto, the default)")
    parser.add_argument("--max-memory", type=float, metavar="GIB",
                        help="memory the fit may use, in GiB (default: half the machine's); data with more rows than "
                             "that allows are fitted on a uniform random sample of their rows")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    errors = Console(stderr=True, highlight=False)
    try:
        if args.command == "fit":
            return _fit(args, errors)
        if args.command == "fit-many":
            from hypo.fit_many_cli import fit_many
            return fit_many(args, errors)
        if args.command == "world-model":
            return _train_world_model(args)
    except HypoError as error:
        errors.print(f"hypo: error: {error}", markup=False, soft_wrap=True)
        return EXIT_USAGE
    except KeyboardInterrupt:
        errors.print("hypo: interrupted", markup=False)
        return EXIT_INTERRUPTED
    return EXIT_USAGE


def _fit(args, errors: Console) -> int:
    from hypo.api import fit

    if args.output:
        _check_writable(Path(args.output))
    settings = fit_settings(args)
    if args.engine == "pysr" or args.start_laws:
        from hypo.pysr_bridge import outside_laws

        settings, notes = outside_laws(args.data, args.target, settings, args.engine == "pysr", args.start_laws)
        for note in notes:
            errors.print(f"hypo: note: {note}", markup=False, soft_wrap=True)
    with ProgressDisplay(errors, args.quiet) as report:
        result = fit(args.data, target=args.target, progress=report, workers=args.workers,
                     scheduler=args.scheduler, **settings)
    for note in result.notes:
        errors.print(f"hypo: note: {note}", markup=False, soft_wrap=True)
    _print_table(result)
    if args.output:
        try:
            write_json_atomically(Path(args.output), result.to_dict())
        except OSError as error:
            raise HypoError(f"cannot write {args.output} ({error.strerror}); the laws are printed above") from None
        errors.print(f"hypo: wrote {args.output}", markup=False, soft_wrap=True)
    return 0


def fit_settings(args) -> dict:
    """The keyword arguments of :func:`hypo.api.fit` that the options give."""
    max_memory = None
    if args.max_memory is not None:
        if not (math.isfinite(args.max_memory) and args.max_memory > BASE_BYTES / 2**30):
            raise HypoError(f"--max-memory must be more than {BASE_BYTES / 2**30:g} GiB (what hypo itself needs), "
                            f"got {args.max_memory:g}")
        max_memory = args.max_memory * 2**30
    return dict(knowledge=args.knowledge, features=[f.strip() for f in args.features.split(",")] if args.features
                else None, time_limit=args.time_limit, max_evals=args.max_evals, seed=args.seed,
                max_size=args.max_size, errors=args.errors, noise=args.noise.replace("-", "_"), sigma=args.sigma,
                sigma_column=args.sigma_column, mcmc=not args.no_mcmc, world_model=args.world_model,
                device=args.device, max_memory=max_memory, decompose=not args.no_decompose)


def _train_world_model(args) -> int:
    import torch

    from search.world_model.train import train

    if args.minutes <= 0:
        raise HypoError(f"--minutes must be positive, got {args.minutes}")
    _check_writable(Path(args.out))
    if args.dream_processes < 0:
        raise HypoError(f"--dream-processes must be 0 or more, got {args.dream_processes}")
    if args.device == "cuda" and not torch.cuda.is_available():
        raise HypoError("--device cuda: torch sees no CUDA device here; use --device cpu")
    torch.set_num_threads(args.threads)
    train(args.out, minutes=args.minutes, device=args.device, seed=args.seed, resume=args.resume,
          dream_processes=args.dream_processes, log=lambda line: print(line, flush=True))
    return 0


def _print_table(result) -> None:
    console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)
    table = Table(title=f"laws for {result.target} (Pareto front; ◀ = chosen)", title_justify="left")
    for column in ("", "complexity", "mse", "log posterior", "posterior"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("law", no_wrap=True, overflow="ellipsis")
    for law in result.pareto:
        chosen = law.expr == result.best.expr
        table.add_row("◀" if chosen else "", f"{law.complexity:g}", f"{law.mse:.3g}",
                      f"{law.log_posterior:.1f}", f"{law.posterior:.3f}", law.short())
    console.print(table)
    console.print(_probable_table(result))
    stats = result.stats
    console.print(f"best: {result.target} = {result.best.short(6)}", markup=False, soft_wrap=True)
    console.print(f"({stats['evaluations']} structures fitted in {stats['seconds']:.1f} s; "
                  f"stopped: {stats['stop_reason']})", markup=False, soft_wrap=True)


TOP_LAWS = 5


def _probable_table(result) -> Table:
    """The most probable laws and the posterior mass they hold together."""
    table = Table(title=f"most probable laws for {result.target} (posterior over the laws found)",
                  title_justify="left")
    for column in ("probability", "cumulative", "complexity", "log likelihood"):
        table.add_column(column, justify="right", no_wrap=True)
    table.add_column("law", no_wrap=True, overflow="ellipsis")
    ranked = sorted(result.hypotheses, key=lambda law: law.posterior, reverse=True)[:TOP_LAWS]
    total = 0.0
    for law in ranked:
        total += law.posterior
        table.add_row(f"{law.posterior:.3f}", f"{total:.3f}", f"{law.complexity:g}",
                      f"{law.log_likelihood:.1f}", law.short())
    return table


def _check_writable(path: Path) -> None:
    if path.is_dir():
        raise HypoError(f"cannot write {path}: it is a folder; give a file name for --output, e.g. {path}/out.json")
    folder = path.resolve().parent
    if not folder.is_dir():
        raise HypoError(f"cannot write {path}: folder {folder} does not exist; create it or choose another --output")
    try:  # the real test (os.access says yes to root in /proc): a file made and removed there
        handle, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        os.close(handle)
        os.unlink(probe)
    except OSError as error:
        raise HypoError(f"cannot write {path}: folder {folder} does not take new files ({error.strerror}); "
                        "choose another --output") from None


if __name__ == "__main__":
    sys.exit(main())
