// A C++ service linking socialrx: count A&E attendances a year either side of three clients'
// index dates and price the change with the example tariff compiled into the library.
#include <cstdio>
#include <socialrx/core/embedded.hpp>
#include <socialrx/cost/avoidance.hpp>
#include <socialrx/utilisation/windows.hpp>

int main() {
  using namespace socialrx;
  const std::int64_t client_id[] = {1, 2, 3};
  const Days referral[] = {days_from_civil(2022, 3, 1), days_from_civil(2022, 5, 1),
                           days_from_civil(2022, 6, 1)};
  const Days index[] = {days_from_civil(2022, 3, 10), days_from_civil(2022, 5, 20), kNoDate};
  const std::int64_t person[] = {1, 1, 1, 2, 2, 3};
  const Days date[] = {days_from_civil(2021, 9, 1), days_from_civil(2021, 12, 1),
                       days_from_civil(2022, 8, 1), days_from_civil(2022, 1, 5),
                       days_from_civil(2022, 2, 5), days_from_civil(2022, 7, 1)};
  const std::uint8_t kind[6] = {};  // all ae_attendance

  UtilisationRequest request;
  request.clients = {client_id, referral, index, {}};
  request.events = {person, date, kind};
  request.data_start = days_from_civil(2020, 4, 1);
  request.data_end = days_from_civil(2024, 3, 31);
  request.windows = {window_days_from_months(12)};
  const UtilisationResult counts = count_utilisation(request);

  const Tariff tariff = tariff_from_json(embedded_file("tariffs/example_2023-24.json"));
  const CostAvoidance avoided = cost_avoidance(counts, tariff);
  std::printf("A&E before %lld, after %lld; cost avoided %s\n",
              static_cast<long long>(counts.count(0, 0, EventKind::ae_attendance, Side::pre)),
              static_cast<long long>(counts.count(0, 0, EventKind::ae_attendance, Side::post)),
              format_pounds(avoided.total(0)).c_str());
}
