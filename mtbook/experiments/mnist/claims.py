"""Table 1's claims, judged from the MNIST records (the scoreboard's rows for chapter 3).

The paper (Sec. 5.1): with ten digit terms weighted by random weights, "the results in Tab. 1 show
a clear advantage for MTAdam over the other suboptimal alternatives". Two claims, each judged under
both weight draws of :data:`~.spec.DRAWS` (``paper``: the text's U(1, 1000), shown at
``mnist-table1``; ``script``: the authors' script, shown at ``mnist-draws``). n = runs per row.

* **MTAdam recovers** -- MTAdam on the weighted terms (M) is close to Adam with equal weights (E)
  and far above Adam on the weighted sum (A). Test accuracy, higher is better.

  - *close*: M >= E - max(1 pooled SD of M and E, 10 % of the gap E - A);
  - *far above*: M - A > 2 SD of the difference (Welch: sqrt(sd_M²/n_M + sd_A²/n_A));
  - **reproduces**: both, with n >= 3; **partly**: both with n < 3 ("n < 3"), or only one of the
    two; **does not**: neither.

  The paper's own Table 1 passes: 97.9 >= 98.3 - max(0.1, 0.95) and 97.9 - 88.8 > 2 x 0.08.
* **The baselines suffer** -- SGD-momentum, RMSProp and Adam on the weighted sum (the paper's
  rows; our two extra rows are not judged) each end below Adam with equal weights by more than 2 SD
  of the difference. **reproduces**: all three, n >= 3; **partly**: all three with n < 3, or one or
  two of them; **does not**: none.

Numbers come from :data:`~.spec.PAPER_TABLE1` and the records' ``metrics.test_acc`` (percent).
"""

from __future__ import annotations

from ...core.claims import Claim, Result, judge_baselines, measure_recovery, recovery_verdict
from ...core.records import load_records
from ...core.report import fmt_mean_sd
from .spec import DRAWS, EXPERIMENT, METHODS, PAPER_TABLE1, method_key

CHAPTER = "notebooks/03_mnist"
LABELS = {"paper": "mnist-table1", "script": "mnist-draws"}
RECOVERY = ("mtadam", "adam_equal", "adam")
BASELINES = ("sgd_momentum", "rmsprop", "adam")  # the paper's rows on the weighted sum
SHORT = {"adam_equal": "Adam-equal", "sgd_momentum": "SGD"}


def _short(method: str) -> str:
    return SHORT.get(method, METHODS[method]["label"])


def _paper(method: str) -> str:
    m, s = PAPER_TABLE1[method]
    return f"{_short(method)} {m:.1f} ± {s:.1f}"


def _accuracies(draw: str, methods, profile: str):
    """``({method: [test_acc per seed]}, records used)``; None: the profile has no MNIST records."""
    recs = load_records(EXPERIMENT, profile)
    if not recs:
        return None
    used = {m: [r for r in recs if r["method"] == method_key(m, draw)] for m in methods}
    acc = {m: [float(r["metrics"]["test_acc"]) for r in rs] for m, rs in used.items()}
    return acc, [r for rs in used.values() for r in rs]


def _result(ours: str, seeds: int, verdict: str, reason: str, used: list[dict]) -> Result:
    res = Result(ours=ours, seeds=seeds, verdict=verdict, reason=reason)
    res.records = used  # the scoreboard shows their commits and any uncommitted-code override
    return res


def judge_recovery(m, e, a) -> tuple[str, str]:
    """(verdict, reason) of "M close to E, far above A" (higher is better); see the module doc."""
    r = measure_recovery(m, e, a, "higher")
    reason = (
        f"MTAdam {r.gap:+.2f} vs Adam-equal ({'' if r.close else 'not '}close: "
        f"limit {r.slack:.2f}); {'' if r.better else 'not '}above Adam by > 2 SD of the difference "
        f"({r.diff:+.2f} ± {r.diff_sd:.2f})"
    )
    return recovery_verdict(r, reason)


def judge_suffer(reference, baselines: dict) -> tuple[str, str]:
    """(verdict, reason) of "every baseline below the reference by > 2 SD of the difference"."""
    return judge_baselines(reference, baselines, "higher", "Adam-equal")


def _claim_rule(methods, judge):
    """``draw -> evaluate(profile)``: ``judge`` on the test accuracies of ``methods``."""

    def for_draw(draw: str):
        def evaluate(profile: str) -> Result | None:
            got = _accuracies(draw, methods, profile)
            if got is None:
                return None
            acc, used = got
            absent = [m for m, v in acc.items() if not v]
            if absent:
                return _result("—", 0, "not run yet", "no records of " + ", ".join(absent), used)
            verdict, reason = judge(acc)
            ours = ", ".join(f"{_short(m)} {fmt_mean_sd(v)}" for m, v in acc.items())
            return _result(ours, min(map(len, acc.values())), verdict, reason, used)

        return evaluate

    return for_draw


recovers = _claim_rule(RECOVERY, lambda acc: judge_recovery(*(acc[m] for m in RECOVERY)))
baselines_suffer = _claim_rule(
    BASELINES + ("adam_equal",),
    lambda acc: judge_suffer(acc["adam_equal"], {_short(m): acc[m] for m in BASELINES}),
)

_SCRIPT = "Table 1 under the authors' script's weights (w_0 = 1, w_1..9 ~ U(0, 1000))"
_SETTING = {
    "paper": ("Table 1", " from weights in U(1, 1000)", " with weights in U(1, 1000),"),
    "script": (_SCRIPT, "", ""),
}

CLAIMS = []
for _draw in DRAWS:
    _table, _from, _with = _SETTING[_draw]
    CLAIMS += [
        Claim(
            id=f"table1-mtadam-{_draw}",
            chapter=CHAPTER,
            label=LABELS[_draw],
            claim=f"{_table}: MTAdam recovers{_from}: close to Adam with equal weights, far "
            f"above Adam on the weighted sum",
            paper=", ".join(map(_paper, RECOVERY)) + " (100 runs)",
            evaluate=recovers(_draw),
        ),
        Claim(
            id=f"table1-baselines-{_draw}",
            chapter=CHAPTER,
            label=LABELS[_draw],
            claim=f"{_table}:{_with} SGD-momentum, RMSProp and Adam on the weighted sum end "
            f"below Adam with equal weights",
            paper=", ".join(map(_paper, BASELINES + ("adam_equal",))) + " (100 runs)",
            evaluate=baselines_suffer(_draw),
        ),
    ]
