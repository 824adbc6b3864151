"""The matched comparison described from what was done: the match's own covariates, the
defaults it left out and why (``Match.notes``), its options (k, caliper, replacement, exact
strata, look-back, seed), who was eligible and matched, and the DiD's windows, bootstrap and
level. Without a match, why there is none."""

from __future__ import annotations

from typing import Any

from .._measures import WindowSpec
from ._comparison import Comparison
from ._html import count_text, esc, notice, paragraph
from ._published import Key, published_count


def matching_parts(comparison: Comparison, specs: list[WindowSpec], name: Key) -> list[str]:
    """Paragraphs saying how the clients were matched and the DiD estimated, or a note saying
    that no matched comparison was made, and why; ``name`` keys the counts printed (those in
    the "Who was matched" table are the same quantities)."""
    match = comparison.match
    if match is None:
        return [notice(comparison.note or "No matched comparison was made.")]
    parts = [paragraph(_design(match)), paragraph(_covariates(match)), _left_out(match), paragraph(_who(match, name))]
    if comparison.available:
        parts.append(paragraph(_did(comparison, specs)))
    else:
        parts.append(notice(comparison.note or "The difference-in-differences is not available."))
    return parts


def _design(match: Any) -> str:
    options = match.options
    k = int(options["k"])
    caliper = options["caliper"]
    within = ("with no caliper" if caliper is None else
              f"within a caliper of {caliper:g} standard deviations of the logit "
              f"({float(match.summary()['caliper_logit']):.3f} on the logit scale)")
    replace = ("with replacement (a comparison patient may serve several clients)" if options["replace"] else
               "without replacement (greedy, clients taken in descending score)")
    exact = f", exactly within the same {', '.join(options['exact'])}" if options["exact"] else ""
    return (f"Each eligible client was matched to {k} comparison patient{'s' if k > 1 else ''} not referred (1:{k}), "
            f"nearest neighbour on the logit of the propensity score {within}, {replace}{exact}. Comparison "
            f"patients are followed from a pseudo index date drawn from the clients' index dates (seed "
            f"{options['seed']}).")


def _covariates(match: Any) -> str:
    names = list(match.covariate_names)
    lookback = int(match.options["lookback_days"])
    text = (f"The propensity score is a logistic regression of client (1) against comparison patient (0) on "
            f"{len(names)} covariate{'s' if len(names) != 1 else ''}: {', '.join(names)}.")
    if any(n.startswith("prior_") for n in names):
        text += f" prior_<kind>: events of that kind in the {lookback} days before the (pseudo) index date."
    if any(n.startswith("baseline_") for n in names):
        text += (f" baseline_<kind>: events of that kind per {lookback} days before the look-back (over "
                 f"{2 * lookback} days where the data cover them, else {lookback}).")
    return text


def _left_out(match: Any) -> str:
    """The covariates of the default set the match left out, each with its reason."""
    if not match.notes:
        return paragraph("No covariate of the default set was left out.")
    items = "".join(f"<li>{esc(note)}</li>" for note in match.notes)
    return f"<p>Left out of the default set:</p><ul>{items}</ul>"


def _who(match: Any, name: Key) -> str:
    summary = match.summary()
    clients, eligible, matched = (count_text(published_count(int(summary[key]), key=(name, label)))
                                  for key, label in (("clients", "clients"), ("eligible_clients", "eligible"),
                                                     ("matched_clients", "matched")))
    return (f"Of {clients} clients, {eligible} were eligible (connected, with {match.options['history_days']} days "
            f"of data before the index date) and {matched} were matched; those not matched are counted by reason "
            "under Matched comparison.")


def _did(comparison: Comparison, specs: list[WindowSpec]) -> str:
    windows = " and ".join(spec.text for spec in specs)
    return (f"Difference-in-differences per event kind and in money over {windows} either side of the index date; "
            f"{comparison.level:.0%} percentile bootstrap intervals over matched sets ({comparison.replicates:,} "
            f"replicates, seed {comparison.bootstrap_seed}: the same for any number of threads).")
