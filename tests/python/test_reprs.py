"""The compiled core's classes say what they hold in their repr, not `<... object at 0x...>`."""

from __future__ import annotations

import inspect

import numpy as np

import socialrx
from socialrx import _core


def test_every_core_class_has_its_own_repr():
    classes = [obj for _, obj in inspect.getmembers(_core, inspect.isclass) if obj.__module__ == _core.__name__]
    assert classes, "socialrx._core binds no classes?"
    without = [cls.__name__ for cls in classes if "__repr__" not in vars(cls)]
    assert without == [], f"_core classes left with pybind11's default repr: {without}"


def test_utilisation_counter_repr():
    one = np.array([1], np.int64)
    day = np.array([100], np.int32)
    counter = _core.UtilisationCounter(client_id=one, referral_date=day, index_date=day,
                                       discharge_date=np.empty(0, np.int32), group=np.empty(0, np.int32), groups=1,
                                       other_ids=np.empty(0, np.int64), data_start=0, data_end=400,
                                       windows=[30, 90], per_person=True)
    assert repr(counter) == "UtilisationCounter(windows=[30, 90], groups=1, per_person=True)"


def test_tariff_repr():
    tariff = socialrx.load_tariff("example")
    priced = len(tariff.unit_costs)
    assert repr(tariff) == f"Tariff({tariff.name!r}, price_year='2023/24', {priced} kinds)"
    assert repr(socialrx.load_tariff("example", price_year="2024/25")).endswith(
        f", price_year='2024/25', {priced} kinds)")


def test_framework_reprs():
    framework = _core.embedded_framework("dudley7")
    assert repr(framework).startswith("Framework('dudley7', kind='domains', domains=7, ")
    domain = framework.domains[0]
    assert repr(domain) == f"Domain({domain.id!r}, name={domain.name!r})"
    indicator = framework.indicators[0]
    assert repr(indicator) == f"Indicator({indicator.id!r}, domain={indicator.domain}, listed=True)"
    threshold = _core.embedded_framework("swemwbs").thresholds[0]
    assert repr(threshold) == (f"Threshold({threshold.id!r}, label={threshold.label!r}, item={threshold.item}, "
                               f"min={threshold.min!r}, max={threshold.max!r})")


def test_money_and_model_reprs():
    assert repr(_core.net_saving(1000, 300, 4)) == "NetSaving(gross=1000, service_cost=300, net=700, patients=4)"
    model = _core.RiskModel.from_json(_core.embedded_file("models/example_logistic.json"))
    assert repr(model) == (f"RiskModel({model.name!r}, kind={model.kind!r}, outcome={model.outcome!r}, "
                           f"features={len(model.feature_names)})")


def test_utilisation_and_cost_reprs():
    day = 20_000
    dates = np.array([day], np.int32)
    result = _core.count_utilisation(
        client_id=np.array([1], np.int64), referral_date=dates, index_date=dates, discharge_date=dates,
        group=np.zeros(1, np.int32), groups=1, other_ids=np.array([], np.int64),
        person_id=np.array([1, 1], np.int64), date=np.array([day - 10, day + 10], np.int32),
        kind=np.zeros(2, np.uint8), data_start=day - 400, data_end=day + 400, windows=[183, 365])
    assert repr(result) == "UtilisationResult(windows=[183, 365], groups=1, events_total=2)"
    costs = _core.cost_avoidance(result, socialrx.load_tariff("example"))
    assert repr(costs) == "CostAvoidance(windows=2, groups=1, unpriced_with_events=[])"
