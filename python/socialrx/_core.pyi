"""
socialrx compiled core: engines over column views
"""
from __future__ import annotations
import collections.abc
import numpy
import numpy.typing
import typing
import typing_extensions
__all__: list[str] = ['CostAvoidance', 'DID_MONEY', 'DidBootstrap', 'Domain', 'DomainOutcomes', 'EVENT_KINDS', 'FEEDBACK_MEASURES', 'FRAILTY_BANDS', 'Framework', 'HIU_PRESETS', 'IMPACTS', 'INTERVENTION_KINDS', 'Indicator', 'LACE_VARIANTS', 'MATCH_STATUSES', 'NOT_ANSWERED', 'NO_DATE', 'NO_ORGANISATION', 'NO_SECTOR', 'NetSaving', 'QuestionnaireOutcomes', 'RiskModel', 'SECTORS', 'SUPPORT_ENDS', 'Tariff', 'Threshold', 'UNMAPPED', 'UtilisationCounter', 'UtilisationResult', 'client_rows', 'comorbidity', 'comorbidity_map', 'comorbidity_maps', 'cost_avoidance', 'count_utilisation', 'days_from_ticks', 'disclose_series', 'disclose_table', 'domain_outcomes', 'embedded_file', 'embedded_files', 'embedded_framework', 'financial_year', 'fit_logistic', 'format_pounds', 'frailty_bands', 'framework_from_json', 'generate_service', 'group_spells', 'high_intensity_users', 'lace', 'nearest_neighbours', 'net_saving', 'nhs_numbers', 'normalise_icd10', 'propensity_match', 'pseudo_index_dates', 'questionnaire_outcomes', 'reach_by_group', 'reach_by_reason', 'reason_co_occurrence', 'recode', 'reprice', 'resolve_items', 'risk_explain', 'risk_features', 'risk_score', 'spell_events', 'summarise_feedback', 'summarise_support', 'tariff_from_json', 'top_k_per_group', 'validate_clients', 'window_days']
class Domain:
    def __repr__(self) -> str:
        ...
    @property
    def id(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
class Indicator:
    def __repr__(self) -> str:
        ...
    @property
    def domain(self) -> int:
        ...
    @property
    def id(self) -> str:
        ...
    @property
    def listed(self) -> bool:
        ...
    @property
    def text(self) -> str:
        ...
class Threshold:
    def __repr__(self) -> str:
        ...
    @property
    def id(self) -> str:
        ...
    @property
    def item(self) -> int:
        """
        questionnaire item index; -1: the score
        """
    @property
    def label(self) -> str:
        ...
    @property
    def max(self) -> float | None:
        ...
    @property
    def min(self) -> float | None:
        ...
    @property
    def source(self) -> str:
        ...
class Framework:
    def __repr__(self) -> str:
        ...
    @property
    def conversion(self) -> list[float]:
        ...
    @property
    def conversion_source(self) -> str:
        ...
    @property
    def domains(self) -> list[Domain]:
        ...
    @property
    def id(self) -> str:
        ...
    @property
    def indicators(self) -> list[Indicator]:
        ...
    @property
    def kind(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def rule(self) -> str:
        ...
    @property
    def rules(self) -> list[str]:
        ...
    @property
    def scale_labels(self) -> list[str]:
        ...
    @property
    def scale_max(self) -> int:
        ...
    @property
    def scale_min(self) -> int:
        ...
    @property
    def scoring(self) -> str:
        ...
    @property
    def source(self) -> str:
        ...
    @property
    def thresholds(self) -> list[Threshold]:
        ...
class DomainOutcomes:
    def __repr__(self) -> str:
        ...
    @property
    def domains(self) -> dict:
        ...
    @property
    def excluded(self) -> dict:
        ...
    @property
    def indicators(self) -> dict:
        ...
    @property
    def rule(self) -> str:
        ...
    @property
    def steps(self) -> int:
        ...
    @property
    def transitions(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
class QuestionnaireOutcomes:
    def __repr__(self) -> str:
        ...
    @property
    def excluded(self) -> dict:
        ...
    @property
    def scores(self) -> list:
        """
        [(item or -1 for the score, clients, mean_pre, mean_post)]
        """
    @property
    def thresholds(self) -> list:
        """
        [(clients, pre, post, pct_fewer)] per framework threshold
        """
class UtilisationResult:
    def __repr__(self) -> str:
        ...
    @property
    def clients_included(self) -> numpy.ndarray:
        ...
    @property
    def counts(self) -> numpy.typing.NDArray[numpy.int64]:
        """
        [window][group][kind][pre, post]
        """
    @property
    def events_of_other_people(self) -> int:
        ...
    @property
    def events_of_unconnected(self) -> int:
        ...
    @property
    def events_outside_data(self) -> int:
        ...
    @property
    def events_total(self) -> int:
        ...
    @property
    def excluded(self) -> dict:
        ...
    @property
    def groups(self) -> int:
        ...
    @property
    def other_rows(self) -> numpy.typing.NDArray[numpy.int64]:
        ...
    @property
    def window_events(self) -> dict:
        ...
    @property
    def windows(self) -> list[int]:
        ...
class UtilisationCounter:
    """
    count_utilisation's people placed once, for counting many parts of the events against them
    """
    def __init__(self, client_id: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], referral_date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], index_date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], discharge_date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], group: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], groups: int, other_ids: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], data_start: int, data_end: int, windows: collections.abc.Sequence[int], per_person: bool = False, before_only: bool = False) -> None:
        ...
    def __repr__(self) -> str:
        ...
    def count(self, person_id: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], kind: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], threads: int = 0, collect_other_rows: bool = False, date_ticks: typing.Annotated[numpy.typing.ArrayLike, numpy.int64] = ..., ticks_per_day: int = 0) -> UtilisationResult:
        ...
class Tariff:
    def __repr__(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def price_year(self) -> str:
        ...
    @property
    def unit_costs(self) -> dict:
        """
        kind -> (pence, source)
        """
    @property
    def uprating_index(self) -> dict[str, float]:
        ...
    @property
    def uprating_source(self) -> str:
        ...
class CostAvoidance:
    def __repr__(self) -> str:
        ...
    @property
    def avoided(self) -> tuple:
        """
        (pence, priced) as [window][group][kind]
        """
    @property
    def unpriced_with_events(self) -> list[str]:
        ...
class NetSaving:
    def __repr__(self) -> str:
        ...
    @property
    def gross(self) -> int:
        ...
    @property
    def gross_per_patient(self) -> int | None:
        ...
    @property
    def net(self) -> int:
        ...
    @property
    def net_per_patient(self) -> int | None:
        ...
    @property
    def patients(self) -> int:
        ...
    @property
    def service_cost(self) -> int:
        ...
class RiskModel:
    @staticmethod
    def from_json(text: str) -> RiskModel:
        ...
    def __repr__(self) -> str:
        ...
    def to_json(self) -> str:
        ...
    @property
    def coefficients(self) -> list[float]:
        ...
    @property
    def columns(self) -> list:
        ...
    @property
    def description(self) -> str:
        ...
    @property
    def feature_names(self) -> list[str]:
        ...
    @property
    def intercept(self) -> float:
        ...
    @property
    def kind(self) -> str:
        ...
    @property
    def name(self) -> str:
        ...
    @property
    def needs_events(self) -> bool:
        ...
    @property
    def outcome(self) -> str:
        ...
class DidBootstrap:
    @staticmethod
    def from_counts(counts: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], included: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], treated_person: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], control_person: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], control_set: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], control_weight: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], tariff: Tariff, seed: int) -> DidBootstrap:
        """
        per-person counts as plain arrays, e.g. summed over parts of the events: counts [person][kind][pre, post][window], included [window][person]
        """
    def __init__(self, counts: UtilisationResult, treated_person: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], control_person: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], control_set: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], control_weight: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], tariff: Tariff, seed: int) -> None:
        """
        counts: count_utilisation(..., per_person=True)
        """
    def __repr__(self) -> str:
        ...
    def estimates(self) -> dict:
        """
        point estimates: [window][outcome] arrays, window counts
        """
    def intervals(self, level: typing.SupportsFloat | typing.SupportsIndex) -> dict:
        """
        percentile bounds over the replicates run: [window][outcome] arrays
        """
    def run(self, count: int, threads: int = 0) -> None:
        """
        adds the next `count` replicates
        """
    @property
    def priced(self) -> bool:
        ...
    @property
    def replicates(self) -> int:
        ...
def client_rows(clients_id: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], client_id: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], table: str) -> numpy.typing.NDArray[numpy.int32]:
    """
    Row of each client_id in clients_id; ValueError naming table.client_id and the row.
    """
def comorbidity(map: str, weights: str, hierarchy: bool, patient: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], patients: int, offsets: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], data: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], validity: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], validity_offset: int, code_index: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], threads: int = 0) -> dict:
    """
    Flags and scores per patient position over Arrow-layout code strings.
    """
def comorbidity_map(name: str) -> dict:
    ...
def comorbidity_maps() -> list[str]:
    ...
def cost_avoidance(utilisation: UtilisationResult, tariff: Tariff) -> CostAvoidance:
    ...
def count_utilisation(client_id: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], referral_date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], index_date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], discharge_date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], group: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], groups: int, other_ids: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], person_id: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], kind: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], data_start: int, data_end: int, windows: collections.abc.Sequence[int], threads: int = 0, per_person: bool = False, before_only: bool = False, collect_other_rows: bool = False, date_ticks: typing.Annotated[numpy.typing.ArrayLike, numpy.int64] = ..., ticks_per_day: int = 0) -> UtilisationResult:
    ...
def days_from_ticks(ticks: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], ticks_per_day: int, threads: int = 0) -> tuple:
    """
    datetime64 ticks since 1970 to int32 days (floor), NaT to NO_DATE; with the first NaT's row (-1 when none).
    """
def disclose_series(counts: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], threshold: int = 5) -> dict:
    """
    values and disclosure of a series with its total last.
    """
def disclose_table(counts: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], rows: int, columns: int, threshold: int = 5) -> dict:
    """
    values and disclosure (0 published, 1 primary, 2 secondary), (rows+1) x (columns+1) row-major with the totals last.
    """
def domain_outcomes(framework: Framework, client: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], timepoint: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], item: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], value: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], source_row: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], clients: int, rule: str | None = None) -> DomainOutcomes:
    ...
def embedded_file(key: str) -> str:
    """
    Text of a reference file compiled into the library.
    """
def embedded_files() -> list[str]:
    ...
def embedded_framework(name: str) -> Framework:
    ...
def financial_year(day: int) -> int:
    ...
def fit_logistic(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], y: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], ridge: typing.SupportsFloat | typing.SupportsIndex = 0.0, intercept: bool = True, max_iterations: int = 100, tolerance: typing.SupportsFloat | typing.SupportsIndex = 1e-12, threads: int = 0) -> dict:
    ...
def format_pounds(pence: int) -> str:
    ...
def frailty_bands(units: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], units_per_point: int) -> numpy.typing.NDArray[numpy.uint8]:
    ...
def framework_from_json(text: str, origin: str = 'framework') -> Framework:
    ...
def generate_service(n_clients: int, n_comparison: int, seed: int, true_effect: typing.SupportsFloat | typing.SupportsIndex, data_start: int, data_end: int, threads: int = 0, connect_rate: typing.SupportsFloat | typing.SupportsIndex = 0.72) -> dict:
    """
    A synthetic service as dicts of numpy arrays (codes index into 'labels'), with the model's 'truth'.
    """
def group_spells(person: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], key: collections.abc.Sequence[typing.Annotated[numpy.typing.ArrayLike, numpy.int64]], order: typing.Annotated[numpy.typing.ArrayLike, numpy.int64] | None, admitted: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], discharged: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], method: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], method_rank: typing.Annotated[numpy.typing.ArrayLike, numpy.int32] | None, read: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8] | None) -> dict:
    """
    Episodes grouped into hospital provider spells (see socialrx/extracts/spells.hpp): per spell person, admitted, bed_days (-1: open), method and first_row; by_method [method][discharged, open]; later_episodes, shared_row and reversed_row (-1: none).
    """
def high_intensity_users(people: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], person_id: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], kind: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], rule_kind: str, at_least: int, window_days: int, threads: int = 0) -> dict:
    ...
def lace(length_of_stay_days: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], acute: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], charlson: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], ae_visits: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], variant: str = 'van_walraven', threads: int = 0) -> numpy.typing.NDArray[numpy.int8]:
    ...
def nearest_neighbours(treated_logit: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], control_logit: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], treated_stratum: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], control_stratum: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], k: int = 1, caliper: typing.SupportsFloat | typing.SupportsIndex = ..., replace: bool = False, threads: int = 0, treated_id: typing.Annotated[numpy.typing.ArrayLike, numpy.int64] = ..., control_id: typing.Annotated[numpy.typing.ArrayLike, numpy.int64] = ...) -> dict:
    """
    Ties break on treated_id/control_id (both or neither; without them, on rows).
    """
def net_saving(gross: int, service_cost: int, patients: int) -> NetSaving:
    ...
def nhs_numbers(chunks: list, key: typing_extensions.Buffer | None = None, threads: int = 0) -> tuple:
    """
    Arrow chunks of NHS numbers read in place, each (offsets, data, validity, bit offset) for text or (int64 numbers, None, validity, bit offset): (pseudonyms under key, or None without one; whether each row is a valid NHS number). The key is kept nowhere.
    """
def normalise_icd10(arg0: collections.abc.Sequence[str]) -> list[str]:
    ...
def propensity_match(x: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], treated_rows: int, stratum: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], k: int = 1, caliper_sd: typing.SupportsFloat | typing.SupportsIndex = 0.2, replace: bool = False, threads: int = 0, id: typing.Annotated[numpy.typing.ArrayLike, numpy.int64] = ...) -> dict:
    """
    Fits the propensity model on x (clients' rows first), matches on its logit within caliper_sd SDs of the logit (inf: no caliper) and measures balance. Ties break on id (one per row of x; without it, on rows), so that row order never changes the sets.
    """
def pseudo_index_dates(patient_id: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], donor_dates: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], seed: int, threads: int = 0) -> numpy.typing.NDArray[numpy.int32]:
    ...
def questionnaire_outcomes(framework: Framework, client: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], timepoint: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], item: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], value: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], source_row: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], clients: int) -> QuestionnaireOutcomes:
    ...
def reach_by_group(index_date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], group: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], groups: typing.SupportsInt | typing.SupportsIndex) -> dict:
    ...
def reach_by_reason(index_date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], reasons: typing.Annotated[numpy.typing.ArrayLike, numpy.uint64], reason_count: typing.SupportsInt | typing.SupportsIndex) -> dict:
    ...
def reason_co_occurrence(reasons: typing.Annotated[numpy.typing.ArrayLike, numpy.uint64], reason_count: typing.SupportsInt | typing.SupportsIndex) -> numpy.typing.NDArray[numpy.int64]:
    ...
@typing.overload
def recode(codes: typing.Annotated[numpy.typing.ArrayLike, numpy.int8], ours: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], threads: int = 0) -> tuple:
    """
    Category codes (-1 missing) to ours[code] as uint8; with the first row that is missing or maps to 255 (-1 when none).
    """
@typing.overload
def recode(codes: typing.Annotated[numpy.typing.ArrayLike, numpy.int16], ours: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], threads: int = 0) -> tuple:
    """
    Category codes (-1 missing) to ours[code] as uint8; with the first row that is missing or maps to 255 (-1 when none).
    """
@typing.overload
def recode(codes: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], ours: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], threads: int = 0) -> tuple:
    """
    Category codes (-1 missing) to ours[code] as uint8; with the first row that is missing or maps to 255 (-1 when none).
    """
def reprice(tariff: Tariff, to_year: str) -> Tariff:
    ...
def resolve_items(framework: Framework, items: collections.abc.Sequence[str]) -> tuple[Framework, numpy.typing.NDArray[numpy.int32]]:
    """
    (framework with unlisted indicators appended, code per item; -1: unknown)
    """
def risk_explain(model: RiskModel, x: numpy.typing.NDArray[numpy.float64], top: int, threads: int = 0) -> tuple:
    ...
def risk_features(model: RiskModel, rows: int, numbers: dict, labels: dict, patient_id: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], as_of: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], person_id: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], kind: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], threads: int = 0) -> numpy.typing.NDArray[numpy.float64]:
    ...
@typing.overload
def risk_score(model: RiskModel, x: numpy.typing.NDArray[numpy.float64], threads: int = 0) -> numpy.typing.NDArray[numpy.float64]:
    ...
@typing.overload
def risk_score(model: RiskModel, x: numpy.typing.NDArray[numpy.float32], threads: int = 0) -> numpy.typing.NDArray[numpy.float64]:
    ...
def spell_events(person: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], admitted: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], bed_days: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], method: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], kind_of_method: typing.Annotated[numpy.typing.ArrayLike, numpy.int8], bed_days_kind: typing.SupportsInt | typing.SupportsIndex) -> dict:
    """
    Spells as events, admissions then bed days: person_id, date (days), kind, count.
    """
def summarise_feedback(stars: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], impact: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], connected_to_services: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], group: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], groups: int) -> numpy.ndarray:
    """
    [group][measure][answered, yes, not_answered] for FEEDBACK_MEASURES.
    """
def summarise_support(client: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], kind: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], organisation: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], sector: typing.Annotated[numpy.typing.ArrayLike, numpy.uint8], cost_pence: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], referral_date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], index_date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], discharge_date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], group: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], groups: int, organisations: int, phb_cap_pence: int = 10000) -> dict:
    """
    Contacts, length of support, outward referrals, spend and personal health budgets.
    """
def tariff_from_json(text: str, origin: str = 'tariff') -> Tariff:
    ...
def top_k_per_group(group: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], groups: int, score: typing.Annotated[numpy.typing.ArrayLike, numpy.float64], id: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], k: int) -> numpy.typing.NDArray[numpy.int64]:
    ...
def validate_clients(client_id: typing.Annotated[numpy.typing.ArrayLike, numpy.int64], referral_date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], index_date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32], discharge_date: typing.Annotated[numpy.typing.ArrayLike, numpy.int32]) -> None:
    """
    Dates in order and ids unique; ValueError naming the row.
    """
def window_days(months: typing.SupportsFloat | typing.SupportsIndex) -> int:
    ...
DID_MONEY: int = 10
EVENT_KINDS: list = ['ae_attendance', 'emergency_admission', 'elective_admission', 'bed_days', 'gp_surgery', 'gp_telephone', 'gp_home_visit', 'ambulance_callout', 'nhs111_call', 'outpatient']
FEEDBACK_MEASURES: list = ['four_or_five_stars', 'reported_impact', 'significant_impact', 'significant_of_impact', 'connected_to_services']
FRAILTY_BANDS: list = ['low', 'intermediate', 'high']
HIU_PRESETS: dict = {'ae_5_in_365': ('ae_attendance', 5, 365), 'nhse_month': ('ae_attendance', 6, 30), 'nhse_year': ('ae_attendance', 21, 365)}
IMPACTS: list = ['none', 'some', 'significant']
INTERVENTION_KINDS: list = ['contact_phone', 'contact_visit', 'accompanied_activity', 'outward_referral', 'group', 'grant', 'voucher', 'personal_health_budget', 'spot_purchase', 'food_delivery', 'medication_delivery', 'food_bank_referral', 'befriending_call', 'helpline_call']
LACE_VARIANTS: list = ['van_walraven', 'uk']
MATCH_STATUSES: list = ['matched', 'no_match_within_caliper', 'no_comparison_in_stratum']
NOT_ANSWERED: int = 255
NO_DATE: int = -2147483648
NO_ORGANISATION: int = -1
NO_SECTOR: int = 255
SECTORS: list = ['voluntary', 'statutory', 'private', 'community']
SUPPORT_ENDS: list = ['not_connected', 'discharged', 'last_intervention', 'no_support_recorded']
UNMAPPED: int = 255
