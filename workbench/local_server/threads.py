"""How many CPU threads llama.cpp gets, and how its threads wait for each other.

llama.cpp (built with OpenMP) splits every graph node across its threads and meets them at a
barrier after each node: hundreds of barriers per token. libgomp's waiters spin for about 300,000
rounds before sleeping, so when another process holds one of the cores, the thread that arrives
first burns its whole time slice spinning while the thread it waits for sits in the run queue.
On 2 cores with two busy processes beside it, 2 threads fell to 6.7 tokens/s where 1 thread
made 53 (`python -m bench.local_server --load 0,1,2`); the app's own UI, painting the stream, is
such a neighbour.

So by default:
- generation (one token at a time, memory-bound) gets half the cores, 1 on a 2-core machine:
  one thread has no barrier to wait at, and it keeps most of its speed when the CPU is busy
  (idle it gives up about a quarter: 78 against 107 tokens/s);
- prompt processing (a batch, compute-bound) gets every core, up to 8: it is a short burst that
  scales with cores;
- while generation runs on one thread, libgomp's spin is cut to GOMP_SPINCOUNT=300 rounds, so a
  prompt-processing thread that meets a descheduled partner sleeps after a few microseconds and
  gives it the core: time to first token under two busy processes fell from 7.8 to 3.0 s, idle
  it stayed at 0.78 s. With more generation threads the default spin stays: the short one cost
  idle generation on 2 threads about a quarter of its speed.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from dataclasses import dataclass

MAX_GENERATION_THREADS = 4  # token generation is memory-bound: more threads stop paying off
MAX_BATCH_THREADS = 8
SPIN_ENV = "GOMP_SPINCOUNT"
SPIN_COUNT = "300"


@dataclass(frozen=True, slots=True)
class ThreadChoice:
    generation: int  # threads that decode one token at a time
    batch: int  # threads that decode the prompt


def available_cores() -> int:
    """The cores this process may run on (a container or `taskset` may allow fewer than exist)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def choose_threads(
    generation: int | None = None, batch: int | None = None, cores: int | None = None
) -> ThreadChoice:
    """The thread counts to use; None means the automatic choice described in the module doc.

    A generation count the user chose is used for the prompt too unless that was chosen as well,
    so "use 1 thread" means one thread.
    """
    cores = cores or available_cores()
    if generation is None:
        generation = max(1, min(MAX_GENERATION_THREADS, cores // 2))
        batch = batch or max(1, min(MAX_BATCH_THREADS, cores))
    return ThreadChoice(max(1, generation), max(1, batch or generation))


def shorten_spin_waits(environ: MutableMapping[str, str], threads: ThreadChoice) -> None:
    """Set libgomp's spin count (see the module doc) unless the user set one or a wait policy.

    Must run before llama.cpp is loaded: libgomp reads it once, when the library is loaded.
    """
    if threads.generation == 1 and "OMP_WAIT_POLICY" not in environ:
        environ.setdefault(SPIN_ENV, SPIN_COUNT)
