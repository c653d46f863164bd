"""The benchmarks: each module prints figures and asserts nothing.

Run one from the repository root as a module, `python -m bench.<name>` (e.g.
`python -m bench.e2e --help`), so that `bot`, `devkit`, `nlu` and `bench`
import from the checkout; `bench.common` and `bench.cluster` are what they
share, and the tests import them too.
"""
