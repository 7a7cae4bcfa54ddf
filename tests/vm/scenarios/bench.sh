# SPDX-License-Identifier: MIT
# Benchmark (in-guest): the library against the raw ioctl sequence in the
# same run (tests/vm/guest/bench.c). Prints BENCH lines with ratios; passes
# when it ran to the end: speed is reported, never asserted.
# vmtest-plan: 1
# vmtest-bind: all-edu

bench "${VMTEST_EDU_BDFS%% *}" 200
