"""Run every benchmark (``make bench``) and print its figures."""

from __future__ import annotations


def main() -> None:
    """Run the benchmarks registered so far."""
    print("no benchmark is registered yet: the import and derivation benchmarks land with them")


if __name__ == "__main__":
    main()
