"""Monte Carlo of a betting strategy over many sessions, with confidence intervals.

The sessions are cut into chunks of ``CHUNK`` sessions. Chunk c draws its
spins from ``Generator(PCG64(SeedSequence(seed, spawn_key=(c,))))`` (the c-th
child ``SeedSequence(seed).spawn`` would give) and is played by the compiled
kernel ``strategies.play``; each chunk is reduced to sums, and the sums are
added in chunk order. So a seed gives the same numbers however many worker
processes share the chunks.

Figures (``Report.estimates``), each with a standard error and a 95%
confidence interval, mean ± 1.96 SE:

- ``mean_duration``, ``sd_duration``: spins played per session (a session
  ends when its spins run out or its strategy stops), and their spread;
- ``p_full``: the fraction of sessions that played every spin;
- ``p_ahead``: the fraction that ended above their starting bankroll;
- ``mean_final``: the bankroll at the end;
- ``mean_max``: the highest bankroll after any spin, not counting the initial
  bankroll, as in Lott's simulator (a session that played no spin counts its
  initial bankroll);
- ``total_wagered``, ``net``: chips staked, and won (negative: lost), summed
  over all sessions;
- ``edge``: net / wagered, a ratio estimator with a delta-method interval;
- ``theoretical_edge``: the bets' exact expected return per chip (no error).
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext

import numpy as np
import numpy.typing as npt

from parlor.roulette.plans import Plan, PlanError
from parlor.roulette.strategies import Int64s, new_state, params, payout_table, play

#: Sessions per chunk: the unit of seeding, so it is part of what a seed means.
CHUNK = 8192
#: z for a two-sided 95% interval.
Z95 = 1.959963984540054
MAX_SPINS = 100_000
MAX_BANKROLL = 10**12

FIGURES = (
    "mean_duration",
    "sd_duration",
    "p_full",
    "p_ahead",
    "mean_final",
    "mean_max",
    "total_wagered",
    "net",
    "edge",
    "theoretical_edge",
)


@dataclass(frozen=True, slots=True)
class Simulation:
    """``sessions`` sessions of ``plan``, each of ``spins`` spins at most, from ``bankroll``."""

    plan: Plan
    sessions: int
    spins: int
    bankroll: int
    seed: int

    def __post_init__(self) -> None:
        if self.sessions < 1:
            raise PlanError("sessions", f"sessions must be at least 1, not {self.sessions}")
        if not 1 <= self.spins <= MAX_SPINS:
            raise PlanError("spins", f"spins must be 1 to {MAX_SPINS}, not {self.spins}")
        if not 1 <= self.bankroll <= MAX_BANKROLL:
            raise PlanError(
                "bankroll", f"the bankroll must be 1 to {MAX_BANKROLL}, not {self.bankroll}"
            )
        if self.plan.base > self.bankroll:
            raise PlanError(
                "base", f"the base bet {self.plan.base} is above the bankroll {self.bankroll}"
            )
        if self.seed < 0:
            raise PlanError("seed", f"the seed cannot be negative: {self.seed}")

    @property
    def chunks(self) -> int:
        return -(-self.sessions // CHUNK)

    def chunk_sizes(self) -> Iterator[tuple[int, int]]:
        """(chunk index, sessions in it) for every chunk, in order."""
        for index in range(self.chunks):
            yield index, min(CHUNK, self.sessions - index * CHUNK)


@dataclass(frozen=True, slots=True)
class Sessions:
    """Per-session results of one run of the kernel."""

    duration: Int64s
    final: Int64s
    high: Int64s
    wagered: Int64s
    #: Bankroll after each spin of the first sessions; -1 once a session has ended.
    paths: Int64s


def play_sessions(
    plan: Plan, bankroll: int, spins: int, sessions: int, rng: np.random.Generator, paths: int = 0
) -> Sessions:
    """Play ``sessions`` sessions one after another on ``rng``, recording ``paths`` of them."""
    duration, final, high, wagered = (np.empty(sessions, dtype=np.int64) for _ in range(4))
    path_rows = np.full((min(paths, sessions), spins + 1), -1, dtype=np.int64)
    path_rows[:, 0] = bankroll
    st = new_state(plan, spins)
    play(
        params(plan),
        payout_table(plan),
        rng,
        bankroll,
        spins,
        st,
        duration,
        final,
        high,
        wagered,
        path_rows,
    )
    return Sessions(duration, final, high, wagered, path_rows)


def chunk_rng(seed: int, index: int) -> np.random.Generator:
    """The generator of chunk ``index``: the index-th child of ``SeedSequence(seed)``."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(index,))))


@dataclass(frozen=True, slots=True)
class Job:
    """One chunk to play, as sent to a worker process."""

    simulation: Simulation
    index: int
    size: int
    keep_finals: bool
    paths: int


@dataclass(slots=True)
class Totals:
    """Sums over sessions, enough for every figure and its standard error."""

    n: int
    #: How many sessions played 0, 1, …, spins spins: every duration moment, exactly.
    durations: Int64s
    ahead: int
    final: float = 0.0
    final2: float = 0.0
    high: float = 0.0
    high2: float = 0.0
    wagered: float = 0.0
    wagered2: float = 0.0
    net: float = 0.0
    net2: float = 0.0
    net_wagered: float = 0.0
    finals: list[Int64s] = field(default_factory=list)
    paths: Int64s | None = None

    def add(self, other: Totals) -> None:
        """Add ``other``'s sums to these (call in chunk order: float sums depend on it)."""
        self.n += other.n
        self.durations += other.durations
        self.ahead += other.ahead
        self.final += other.final
        self.final2 += other.final2
        self.high += other.high
        self.high2 += other.high2
        self.wagered += other.wagered
        self.wagered2 += other.wagered2
        self.net += other.net
        self.net2 += other.net2
        self.net_wagered += other.net_wagered
        self.finals.extend(other.finals)
        if self.paths is None:
            self.paths = other.paths


def _sum(values: npt.NDArray[np.float64]) -> float:
    return float(np.sum(values))


def run_job(job: Job) -> Totals:
    """Play one chunk and reduce it to sums (the function worker processes run)."""
    sim = job.simulation
    rng = chunk_rng(sim.seed, job.index)
    played = play_sessions(sim.plan, sim.bankroll, sim.spins, job.size, rng, job.paths)
    final = played.final.astype(np.float64)
    high = played.high.astype(np.float64)
    wagered = played.wagered.astype(np.float64)
    net = final - sim.bankroll
    return Totals(
        n=job.size,
        durations=np.bincount(played.duration, minlength=sim.spins + 1).astype(np.int64),
        ahead=int(np.count_nonzero(played.final > sim.bankroll)),
        final=_sum(final),
        final2=_sum(final * final),
        high=_sum(high),
        high2=_sum(high * high),
        wagered=_sum(wagered),
        wagered2=_sum(wagered * wagered),
        net=_sum(net),
        net2=_sum(net * net),
        net_wagered=_sum(net * wagered),
        finals=[played.final] if job.keep_finals else [],
        paths=played.paths if job.paths else None,
    )


@dataclass(frozen=True, slots=True)
class Estimate:
    """A figure with its standard error; ``value`` is NaN when it is undefined."""

    value: float
    se: float = 0.0

    @property
    def ci95(self) -> tuple[float, float]:
        return (self.value - Z95 * self.se, self.value + Z95 * self.se)


@dataclass(frozen=True, slots=True)
class Report:
    simulation: Simulation
    estimates: dict[str, Estimate]
    spins_played: int
    #: Final bankrolls of the first sessions, in order (only when asked for).
    finals: Int64s | None = None
    #: Bankroll paths of the first sessions (only when asked for).
    paths: Int64s | None = None


def _mean(total: float, total2: float, n: int) -> Estimate:
    mean = total / n
    variance = max(total2 / n - mean * mean, 0.0) * n / (n - 1) if n > 1 else 0.0
    return Estimate(mean, math.sqrt(variance / n))


def _proportion(count: int, n: int) -> Estimate:
    p = count / n
    return Estimate(p, math.sqrt(p * (1 - p) / n))


def _spread(histogram: Int64s) -> Estimate:
    """The standard deviation of the durations, with a delta-method standard error."""
    n = int(histogram.sum())
    values = np.arange(len(histogram), dtype=np.float64)
    weights = histogram.astype(np.float64) / n
    mean = float(values @ weights)
    central = values - mean
    m2 = float((central**2) @ weights)
    m4 = float((central**4) @ weights)
    sd = math.sqrt(m2 * n / (n - 1)) if n > 1 else 0.0
    # Var(s) ≈ (μ4 − σ⁴) / (4 σ² n): holds for any distribution with a fourth moment.
    se = math.sqrt(max(m4 - m2 * m2, 0.0) / (4 * m2 * n)) if m2 > 0 else 0.0
    return Estimate(sd, se)


def estimate(sim: Simulation, totals: Totals) -> dict[str, Estimate]:
    """Every figure of ``FIGURES`` from the sums of all chunks."""
    n = totals.n
    histogram = totals.durations
    spins = np.arange(len(histogram), dtype=np.float64)
    duration = _mean(
        float(spins @ histogram), float((spins * spins) @ histogram.astype(np.float64)), n
    )
    wagered = _mean(totals.wagered, totals.wagered2, n)
    net = _mean(totals.net, totals.net2, n)
    if totals.wagered > 0:
        ratio = totals.net / totals.wagered
        # Delta method for a ratio of means: Var(R) ≈ Var(net − R·wagered) / (n · mean_wagered²).
        residual = totals.net2 - 2 * ratio * totals.net_wagered + ratio**2 * totals.wagered2
        spread = max(residual, 0.0) / (n - 1) if n > 1 else 0.0
        edge = Estimate(ratio, math.sqrt(spread / n) / wagered.value)
    else:
        edge = Estimate(math.nan)
    return {
        "mean_duration": duration,
        "sd_duration": _spread(histogram),
        "p_full": _proportion(int(histogram[-1]), n),
        "p_ahead": _proportion(totals.ahead, n),
        "mean_final": _mean(totals.final, totals.final2, n),
        "mean_max": _mean(totals.high, totals.high2, n),
        "total_wagered": Estimate(totals.wagered, wagered.se * n),
        "net": Estimate(totals.net, net.se * n),
        "edge": edge,
        "theoretical_edge": Estimate(float(sim.plan.theoretical_edge())),
    }


def jobs(sim: Simulation, *, finals: int = 0, paths: int = 0) -> list[Job]:
    """The chunks of ``sim``; those that start below session ``finals`` keep final bankrolls."""
    return [
        Job(sim, index, size, index * CHUNK < finals, paths if index == 0 else 0)
        for index, size in sim.chunk_sizes()
    ]


def simulate(
    sim: Simulation,
    *,
    workers: int = 1,
    finals: int = 0,
    paths: int = 0,
    progress: Callable[[int], None] | None = None,
    context: BaseContext | None = None,
) -> Report:
    """Run ``sim`` on ``workers`` processes; ``progress(k)`` is called as each chunk finishes.

    The numbers depend on ``sim`` only, never on ``workers`` or on the order in
    which chunks finish. The report keeps the final bankrolls of (at least) the
    first ``finals`` sessions, whole chunks of them, and the bankroll paths of
    the first ``paths``. ``context`` picks the multiprocessing start method (the
    platform's default otherwise); the work is spawn-safe.
    """
    if workers < 1:
        raise PlanError("workers", f"workers must be at least 1, not {workers}")
    todo = jobs(sim, finals=finals, paths=paths)
    results: list[Totals | None] = [None] * len(todo)
    if workers == 1 or len(todo) == 1:
        for job in todo:
            results[job.index] = run_job(job)
            if progress is not None:
                progress(job.index)
    else:
        warm_up(sim.plan)  # forked workers then inherit the loaded kernel
        context = context if context is not None else multiprocessing.get_context()
        with ProcessPoolExecutor(min(workers, len(todo)), mp_context=context) as pool:
            futures = {pool.submit(run_job, job): job.index for job in todo}
            try:
                for future in as_completed(futures):
                    results[futures[future]] = future.result()
                    if progress is not None:
                        progress(futures[future])
            except BaseException:
                # Ctrl+C or a failed chunk: drop the chunks not started rather than wait for them.
                pool.shutdown(wait=False, cancel_futures=True)
                raise
    return _report(sim, [result for result in results if result is not None])


def warm_up(plan: Plan) -> None:
    """Load (or compile) the kernel now, so that timing and forked workers skip it."""
    play_sessions(plan, plan.base, 1, 1, np.random.default_rng(0))


def _report(sim: Simulation, results: Sequence[Totals]) -> Report:
    totals = Totals(0, np.zeros(sim.spins + 1, dtype=np.int64), 0)
    for result in results:  # in chunk order
        totals.add(result)
    finals = np.concatenate(totals.finals) if totals.finals else None
    spins_played = int(np.arange(sim.spins + 1) @ totals.durations)
    return Report(sim, estimate(sim, totals), spins_played, finals, totals.paths)
